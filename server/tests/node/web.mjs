// The official socket.io client as the NurseCare web app uses it from a browser, over HTTP
// long-polling only, with the page's Origin. Run by server/tests/it/web.rs with a JSON world:
// {origin, compat: {base, nurse, patient, conversationId}, secure: {...}}. Prints one line per
// check and exits non-zero on the first failure.
import { readFileSync } from "node:fs";
import { io } from "socket.io-client";
import { world, ok, next, run } from "./checks.mjs";

// The one option docs/web-app-socket-token.patch adds to the web app's io() call, taken from
// the patch and run as it is, with the page's localStorage holding the signed-in token.
const patch = readFileSync(new URL("../../../docs/web-app-socket-token.patch", import.meta.url), "utf8");
const added = patch
  .split("\n")
  .filter((l) => l.startsWith("+") && !l.startsWith("+++"))
  .map((l) => l.slice(1).trim())
  .find((l) => l.startsWith("auth:"));
if (!added) throw new Error("the patch adds no auth option");
const patchedAuth = (token) =>
  new Function("localStorage", `return ${added.replace(/^auth:\s*/, "").replace(/,$/, "")};`)({
    getItem: (key) => (key === "accessToken" ? token : null),
  });

function connect(base, token) {
  return io(base, {
    transports: ["polling"],
    extraHeaders: { Origin: world.origin },
    auth: token ? patchedAuth(token) : undefined,
    reconnection: false,
    forceNew: true,
  });
}

async function exchange(w, nurse, patient, withIds) {
  const incoming = next(patient, "newMessage");
  const sent = next(nurse, "messageSent");
  const payload = { conversationId: w.conversationId, content: "Hello over polling" };
  if (withIds) payload.senderId = w.nurse.id;
  nurse.emit("sendMessage", payload);
  const [[m], [s]] = await Promise.all([incoming, sent]);
  return m.id === s.id && m.senderId === w.nurse.id && m.content === "Hello over polling";
}

async function main() {
  // --production-compat: the web app as published, no token; it leaves rooms with
  // {conversationId} alone, even before it registers.
  {
    const w = world.compat;
    const nurse = connect(w.base, null);
    const patient = connect(w.base, null);
    await Promise.all([next(nurse, "connect"), next(patient, "connect")]);
    ok(nurse.io.engine.transport.name === "polling", "compat: connected over polling, no token");
    nurse.emit("leaveConversation", { conversationId: w.conversationId });
    const [left] = await next(nurse, "leftConversation");
    ok(left.conversationId === w.conversationId, "compat: leaveConversation before register");
    nurse.emit("register", { userId: w.nurse.id });
    patient.emit("register", { userId: w.patient.id });
    const [[reg]] = await Promise.all([next(nurse, "registered"), next(patient, "registered")]);
    ok(reg.userId === w.nurse.id && reg.features === undefined, "compat: registered, no features");
    ok(await exchange(w, nurse, patient, true), "compat: a message goes both ways over polling");
    nurse.close();
    patient.close();
  }
  // The secure default: the same client with the patch's one change, the token in auth.
  {
    const w = world.secure;
    const anon = connect(w.base, null);
    const [err] = await next(anon, "connect_error");
    ok(err.message === "unauthorized", "secure: without a token the socket is refused");
    anon.close();
    const nurse = connect(w.base, w.nurse.token);
    const patient = connect(w.base, w.patient.token);
    await Promise.all([next(nurse, "connect"), next(patient, "connect")]);
    ok(nurse.io.engine.transport.name === "polling", "secure: connected over polling with a token");
    nurse.emit("register", { userId: w.nurse.id });
    patient.emit("register", { userId: w.patient.id });
    const [[reg]] = await Promise.all([next(nurse, "registered"), next(patient, "registered")]);
    ok(reg.features.includes("auth"), "secure: registered with features");
    ok(await exchange(w, nurse, patient, false), "secure: a message goes both ways over polling");
    nurse.emit("leaveConversation", { conversationId: w.conversationId });
    await next(nurse, "leftConversation");
    ok(true, "secure: leaveConversation");
    nurse.close();
    patient.close();
  }
}

run(main);
