// Command echo-server is the reference the benchmark compares edge-echo with:
// the gorilla/websocket echo server of the original blog post, made correct.
// Every message goes back to its sender unchanged (same bytes, same type, no
// "recive data" prefix), and a failing connection ends only itself.
package main

import (
	"errors"
	"flag"
	"log"
	"net/http"

	"github.com/gorilla/websocket"
)

// maxMessageBytes matches the Workers platform cap, so both servers accept the same messages.
const maxMessageBytes = 32 << 20

var upgrader = websocket.Upgrader{
	// The post's buffer sizes: they bound one read or write call, not a message.
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	// A benchmark target, as in the post: any page may connect.
	CheckOrigin: func(*http.Request) bool { return true },
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("/", echoOnPaths)
	log.Printf("echo-server listening on ws://%s/ (also /ws)", *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}

// echoOnPaths serves the two echo paths of edge-echo, `/` and `/ws`.
func echoOnPaths(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" && r.URL.Path != "/ws" {
		http.NotFound(w, r)
		return
	}
	// Upgrade has already answered the client with an HTTP error when it fails.
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		log.Printf("upgrade %s: %v", r.RemoteAddr, err)
		return
	}
	defer conn.Close()
	conn.SetReadLimit(maxMessageBytes)
	echo(conn)
}

// echo sends every message back until the connection ends. The default close
// handler answers the peer's close with its code, so a normal close needs no work here.
func echo(conn *websocket.Conn) {
	for {
		messageType, data, err := conn.ReadMessage()
		if err != nil {
			// A close frame or a vanished peer (1006) is how connections end: not worth a log line.
			var closed *websocket.CloseError
			if !errors.As(err, &closed) {
				log.Printf("read %s: %v", conn.RemoteAddr(), err)
			}
			return
		}
		if err := conn.WriteMessage(messageType, data); err != nil {
			log.Printf("write %s: %v", conn.RemoteAddr(), err)
			return
		}
	}
}
