// The official socket.io client (4.x) against nursecare-server, over its default transports
// (HTTP long-polling upgraded to WebSocket). Run by server/tests/it/node.rs with a JSON world:
// {base, nurse: {id, token}, patient: {id, token}, conversationId}. Prints one line per check
// and exits non-zero on the first failure.
import { io } from "socket.io-client";
import { world, ok, next, run } from "./checks.mjs";

function connect(token) {
  return io(world.base, { auth: token ? { token } : undefined, reconnection: false, forceNew: true });
}

async function main() {
  // Refused handshake: the client sees connect_error "unauthorized".
  const anon = connect(null);
  const [err] = await next(anon, "connect_error");
  ok(err.message === "unauthorized", "a socket without a token is refused with unauthorized");
  anon.close();

  const nurse = connect(world.nurse.token);
  const patient = connect(world.patient.token);
  await Promise.all([next(nurse, "connect"), next(patient, "connect")]);
  ok(nurse.connected && patient.connected, "both connect with a token");

  nurse.emit("register", { userId: world.nurse.id });
  const [reg] = await next(nurse, "registered");
  ok(reg.userId === world.nurse.id && reg.features.includes("userRing"), "registered carries features");
  patient.emit("register", { userId: world.patient.id });
  await next(patient, "registered");

  // Wait for the upgrade to WebSocket where the server offers it.
  if (nurse.io.engine.transport.name !== "websocket") await next(nurse.io.engine, "upgrade");
  ok(nurse.io.engine.transport.name === "websocket", "upgraded from polling to websocket");

  const clientId = "5b1c2d3e-4f50-4617-8899-aabbccddeeff";
  const incoming = next(patient, "newMessage");
  const echo = next(nurse, "newMessage");
  const sent = next(nurse, "messageSent");
  nurse.emit("sendMessage", { conversationId: world.conversationId, content: "Hello from Node", clientId });
  const [[m], [e], [s]] = await Promise.all([incoming, echo, sent]);
  ok(m.content === "Hello from Node" && m.senderId === world.nurse.id, "newMessage reaches the patient");
  ok(e.id === m.id && s.id === m.id && s.clientId === clientId, "sender gets the echo and messageSent with clientId");
  ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(m.createdAt), "createdAt has milliseconds");

  const typing = next(patient, "userTyping");
  nurse.emit("typing", { conversationId: world.conversationId, userId: world.nurse.id, isTyping: true });
  const [t] = await typing;
  ok(t.isTyping === true && t.conversationId === world.conversationId, "userTyping with conversationId");

  // A reply with no payload arrives as an event with no arguments.
  const ended = next(nurse, "videoCallEnded");
  const endedOther = next(patient, "videoCallEnded");
  nurse.emit("endVideoCall", { conversationId: world.conversationId, userId: world.nurse.id, duration: 5 });
  const [replyArgs, [broadcast]] = await Promise.all([ended, endedOther]);
  ok(replyArgs.length === 0, "videoCallEnded reply has no payload");
  ok(broadcast.duration === 5 && broadcast.userId === world.nurse.id, "videoCallEnded broadcast");

  const bad = next(nurse, "exception");
  nurse.emit("sendMessage", { conversationId: "nope", content: 1 });
  const [ex] = await bad;
  ok(ex.status === "error" && typeof ex.message === "string", "bad payload answers exception");

  const ack = next(nurse, "heartbeatAck");
  nurse.emit("heartbeat", { userId: world.nurse.id });
  await ack;
  ok(true, "heartbeat answered");

  nurse.close();
  patient.close();
}

run(main);
