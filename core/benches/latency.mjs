// The Node half of core/benches/latency.rs: the official socket.io-client (installed under
// server/tests/node/node_modules) in a closed loop, one message at a time. Run by the Rust bench
// with a JSON world as its one argument:
//   {base, a: {id, token}, b: {id, token}, conversationId, samples, warmup, typed}
// A emits sendMessage; a sample is the time until B's newMessage for that text (echoUs: until
// A's messageSent). The next message goes when both have arrived. "typing first" emits typing
// on before the clock starts and typing off just before sendMessage. Prints one JSON object:
//   {modes: [{mode, samples, p50Ms, p90Ms, p99Ms, samplesUs: [...], echoUs: [...]}]}
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";

const require = createRequire(new URL("../../server/tests/node/package.json", import.meta.url));
const { io } = require("socket.io-client");

const world = JSON.parse(process.argv[2]);
const TIMEOUT = 15000;

// Resolves with the arguments of the next `event` on `emitter`.
function next(emitter, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${TIMEOUT} ms`)), TIMEOUT);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

// Calls back with the arrival time of the message whose content is awaited, once per wait.
function waiter(socket, event) {
  let pending = null;
  socket.on(event, (m) => {
    if (pending && m && m.content === pending.text) {
      const p = pending;
      pending = null;
      clearTimeout(p.timer);
      p.resolve(process.hrtime.bigint());
    }
  });
  return (text) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} for ${text}`)), TIMEOUT);
      pending = { text, resolve, timer };
    });
}

function pct(sorted, q) {
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

async function measure(mode, transports, typed) {
  const opts = { reconnection: false, forceNew: true, ...(transports ? { transports } : {}) };
  const a = io(world.base, { ...opts, auth: { token: world.a.token } });
  const b = io(world.base, { ...opts, auth: { token: world.b.token } });
  await Promise.all([next(a, "connect"), next(b, "connect")]);
  for (const [s, u] of [[a, world.a], [b, world.b]]) {
    const reg = next(s, "registered");
    s.emit("register", { userId: u.id });
    await reg;
  }
  // With the default transports, measure over the WebSocket the client upgrades to.
  for (const s of [a, b]) {
    if (s.io.engine.transport.name !== "websocket") await next(s.io.engine, "upgrade");
  }
  await new Promise((r) => setTimeout(r, 200));

  const atB = waiter(b, "newMessage");
  const echo = waiter(a, "messageSent");
  const samplesUs = [];
  const echoUs = [];
  for (let i = 0; i < world.warmup + world.samples; i++) {
    const text = `node-${mode}-${i}`;
    const got = atB(text);
    const sent = echo(text);
    // As a user does (and as the core's typed row): typing on with a keystroke, off with the
    // send, then the message: two small frames back to back.
    if (typed) a.emit("typing", { conversationId: world.conversationId, userId: world.a.id, isTyping: true });
    const t0 = process.hrtime.bigint();
    if (typed) a.emit("typing", { conversationId: world.conversationId, userId: world.a.id, isTyping: false });
    a.emit("sendMessage", {
      conversationId: world.conversationId,
      senderId: world.a.id,
      content: text,
      type: "TEXT",
      clientId: randomUUID(),
    });
    const [t1, t2] = await Promise.all([got, sent]);
    if (i >= world.warmup) {
      samplesUs.push(Number(t1 - t0) / 1000);
      echoUs.push(Number(t2 - t0) / 1000);
    }
  }
  a.close();
  b.close();
  const ms = samplesUs.map((u) => u / 1000).sort((x, y) => x - y);
  return {
    mode,
    samples: ms.length,
    p50Ms: pct(ms, 0.5),
    p90Ms: pct(ms, 0.9),
    p99Ms: pct(ms, 0.99),
    samplesUs,
    echoUs,
  };
}

async function main() {
  const modes = [];
  modes.push(await measure("websocket", ["websocket"], false));
  if (world.typed !== false) modes.push(await measure("websocket, typing first", ["websocket"], true));
  modes.push(await measure("polling→websocket", null, false));
  return JSON.stringify({ modes }) + "\n";
}

// Exits only once the answer is out: a pipe write is asynchronous, and exiting earlier cuts it.
main().then(
  (answer) => process.stdout.write(answer, () => process.exit(0)),
  (e) => {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(1);
  },
);
