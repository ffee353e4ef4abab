module edge-echo/bench/go

go 1.19

// Debian's golang-github-gorilla-websocket-dev (1.5.0): builds offline, no module proxy.
require github.com/gorilla/websocket v1.5.0

replace github.com/gorilla/websocket => /usr/share/gocode/src/github.com/gorilla/websocket
