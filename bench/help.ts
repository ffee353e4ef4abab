/** The text of `npm run bench -- --help`. */
import { DEFAULTS } from "./args.ts";
import type { LoadSettings } from "./context.ts";
import { MIN_MESSAGE_BYTES } from "./payload.ts";
import { SCENARIO_NAMES, SCENARIOS } from "./scenarios/index.ts";

/** Every option, its default, the scenarios, the exit statuses. */
export function helpText(): string {
  const defaults: LoadSettings = { ...DEFAULTS, connections: null, window: null, size: null };
  const scenarios = SCENARIO_NAMES.map((name) => `  ${name.padEnd(12)} ${SCENARIOS[name].describe(defaults)}`);
  return `Usage: npm run bench -- <ws-or-wss-URL> [options]

Load-tests a WebSocket echo server and verifies every echo: same bytes, same
type, same order. Any mismatch, loss, unexpected close or failed handshake is
counted and makes the exit status 1.

Scenarios (all by default, in this order):
${scenarios.join("\n")}

Options:
  --scenario NAME[,NAME]  run only these (repeatable)
  --seconds S             measured sending time per scenario run (default ${DEFAULTS.seconds}); storm stops
                          opening sockets when it is up
  --connections C         connections for connections, throughput and mixed
  --window W              messages in flight per connection (fanout: per sender)
  --size SIZE             message size for every scenario: 32, 64KiB, 1MiB (${MIN_MESSAGE_BYTES} B to 32 MiB);
                          the largest size for mixed
  --sockets N             storm: sockets to open (default ${DEFAULTS.sockets})
  --concurrency K         storm and fanout: handshakes at a time (default ${DEFAULTS.concurrency})
  --hold MS               storm: how long to hold all sockets open (default ${DEFAULTS.holdMs})
  --receivers N           fanout: receivers in the room (default ${DEFAULTS.receivers}); the room is
                          /rooms/bench-<uuid> on the URL's origin
  --senders S             fanout: senders (default ${DEFAULTS.senders}), each joining after its share of the
                          receivers; every receiver checks every sender's stream
  --against URL           run every scenario on this server too, interleaved (A B A B ...),
                          and print each figure's ratio A/B
  --rounds R              runs per scenario and server (default 1; 3 with --against)
  --connect-timeout S     handshake timeout (default ${DEFAULTS.connectTimeoutMs / 1000})
  --drain S               after sending stops, wait this long for messages in flight (default
                          ${DEFAULTS.drainMs / 1000}); what has not arrived then is lost
  --deadline S            hard cap on the whole run: sockets are cut and the tool exits 3
                          (default: computed from the settings)
  --json                  print one JSON line with every figure on stdout (the table goes to stderr)
  --markdown FILE         also write the table as markdown to FILE
  -h, --help              this text

Figures: msgs/s and MB/s (10^6 bytes) count verified messages received per
second of sending; RTT is the round trip (fanout: send to delivery) in µs;
connect is the handshake time in ms. A live progress line is shown only when
stdout is a terminal.

Exit status: 0 all verified, 1 errors counted, 2 bad usage, 3 hard deadline hit.

A room takes at most ROOM_MAX_PER_ADDRESS (default 100) sockets from one address, and every
socket here comes from this machine: for a larger fanout, start the server with
--var ROOM_MAX_PER_ADDRESS:0 (npm run dev -- --var ROOM_MAX_PER_ADDRESS:0).

Examples:
  npm run bench -- ws://127.0.0.1:8787/ws
  npm run bench -- ws://127.0.0.1:8787/ws --scenario throughput --size 1MiB --window 4
  npm run bench -- ws://127.0.0.1:8787/ws --scenario fanout --receivers 100 --seconds 10
  npm run bench -- ws://127.0.0.1:8787/ws --scenario fanout --receivers 2000 --senders 4 --concurrency 100
  npm run bench -- ws://127.0.0.1:8787/ws --against ws://127.0.0.1:8081/ws --rounds 5 --json
`;
}
