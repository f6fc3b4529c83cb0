// A stock socket.io-client v4 that a Python test drives line by line.
//
//   node driver.mjs <url> '<options as JSON>'
//
// options: any io() options (transports, auth, extraHeaders, query, reconnection, ...).
// stdin, one JSON object per line:
//   {"op": "emit", "event": E, "data": D}             emit E with one argument D (omitted if null)
//   {"op": "emit", "event": E, "data": D, "ack": N}   the same, asking for an ack (reported as N)
//   {"op": "close"}                                   disconnect and exit
// stdout, one JSON object per line, in the order the client saw things:
//   {"kind": "connect", "id", "engine", "transport"}  (again after every reconnection)
//   {"kind": "upgrade", "engine", "transport"}        the Engine.IO connection upgraded
//   {"kind": "event", "name", "args"}                 any event from the server
//   {"kind": "ack", "ack": N, "args"}
//   {"kind": "connect_error", "message", "data"}
//   {"kind": "disconnect", "reason"}
// The script exits by itself when stdin closes or after its deadline, so it never lingers.
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const [, , url, json] = process.argv;
const DEADLINE_MS = 120_000;
const options = JSON.parse(json || "{}");
const socket = io(url, options);

function report(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

// Each (re)connection has its own Engine.IO connection: watch every one for its upgrade.
socket.io.on("open", () => {
  const engine = socket.io.engine;
  engine.on("upgrade", (transport) => report({ kind: "upgrade", engine: engine.id, transport: transport.name }));
});
socket.on("connect", () => {
  const engine = socket.io.engine;
  report({ kind: "connect", id: socket.id, engine: engine.id, transport: engine.transport.name });
});
socket.on("connect_error", (err) => report({ kind: "connect_error", message: err.message, data: err.data ?? null }));
socket.on("disconnect", (reason) => report({ kind: "disconnect", reason }));
socket.onAny((name, ...args) => report({ kind: "event", name, args }));

function finish(code) {
  socket.disconnect();
  process.exit(code);
}

createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const command = JSON.parse(line);
  if (command.op === "close") finish(0);
  if (command.op !== "emit") throw new Error(`unknown op ${command.op}`);
  const args = command.data === null || command.data === undefined ? [] : [command.data];
  if (command.ack === undefined || command.ack === null) {
    socket.emit(command.event, ...args);
  } else {
    socket.emit(command.event, ...args, (...reply) => report({ kind: "ack", ack: command.ack, args: reply }));
  }
}).on("close", () => finish(0));

setTimeout(() => {
  process.stderr.write(`driver deadline of ${DEADLINE_MS} ms reached\n`);
  finish(1);
}, DEADLINE_MS).unref();
