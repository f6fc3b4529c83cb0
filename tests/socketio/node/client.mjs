// Drive the conformance app with the stock socket.io-client v4 and print one JSON report.
//
//   node client.mjs <base url> <polling-then-websocket | websocket>
//
// Each check records what the client saw; the Python test asserts on the report. The script
// always exits (with a report or an "error" field) within its own deadline.
import { io } from "socket.io-client";

const [, , base, mode] = process.argv;
const DEADLINE_MS = 8000;
const TRANSPORTS = {
  "polling-then-websocket": ["polling", "websocket"], // the client's default
  websocket: ["websocket"],
  polling: ["polling"],
};
const transports = TRANSPORTS[mode];
if (!base || !transports) {
  process.stderr.write(`usage: node client.mjs <url> <${Object.keys(TRANSPORTS).join(" | ")}>\n`);
  process.exit(2);
}
const options = { transports, reconnection: false, timeout: 3000 };
const report = { mode, transports };
const sockets = [];

function once(emitter, event, ms = 3000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

// All the acknowledgement's arguments (emitWithAck would keep only the first one).
function ackOf(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(3000).emit(event, ...args, (err, ...reply) => (err ? reject(err) : resolve(reply)));
  });
}

function open(path, extra = {}) {
  const socket = io(base + path, { ...options, ...extra });
  sockets.push(socket);
  return socket;
}

async function main() {
  const main = open("/", { auth: { token: "node-token" } });
  const [auth] = await once(main, "auth");
  report.auth = auth;
  report.connected = main.connected;
  report.socketId = typeof main.id === "string" && main.id.length > 0;

  const engine = main.io.engine;
  if (mode === "polling-then-websocket" && engine.transport.name !== "websocket") {
    await once(engine, "upgrade");
  }
  report.transport = engine.transport.name;

  report.ack = await ackOf(main, "message-with-ack", 1, "2", { 3: [true] });

  const binaryAck = await ackOf(main, "message-with-ack", Buffer.from([1, 2, 3]), {
    nested: Buffer.from([4]),
  });
  report.binaryAck = [Array.from(binaryAck[0]), Array.from(binaryAck[1].nested)];

  const back = once(main, "message-back");
  main.emit("message", "héllo ✓", Buffer.from([0x1e, 0xff]));
  const [text, bytes] = await back;
  report.messageBack = [text, Array.from(bytes)];

  const custom = open("/custom", { auth: { room: "r1" } });
  const [customAuth] = await once(custom, "auth");
  report.customAuth = customAuth;
  report.multiplexed = custom.io === main.io;

  const refused = open("/random");
  const [error] = await once(refused, "connect_error");
  report.invalidNamespace = error.message;

  // A few pings go by (pingInterval 300 ms) and the connection stays up.
  await new Promise((resolve) => setTimeout(resolve, 800));
  report.stillConnected = main.connected && custom.connected;

  const closed = once(main, "disconnect");
  main.disconnect();
  report.disconnectReason = (await closed)[0];
}

const guard = setTimeout(() => {
  report.error = `deadline of ${DEADLINE_MS} ms exceeded`;
  finish(1);
}, DEADLINE_MS);

function finish(code) {
  clearTimeout(guard);
  for (const socket of sockets) socket.disconnect();
  process.stdout.write(JSON.stringify(report) + "\n");
  process.exit(code);
}

main().then(
  () => finish(0),
  (err) => {
    report.error = String(err && err.stack ? err.stack : err);
    finish(1);
  },
);
