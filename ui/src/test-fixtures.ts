// Builders for test data (the shapes of the generated bindings).
import type { ConversationSummary } from "./bindings/ConversationSummary";
import type { Message } from "./bindings/Message";
import type { OutboxItem } from "./bindings/OutboxItem";
import type { Snapshot } from "./bindings/Snapshot";
import type { SessionInfo } from "./shell";

export const ME = 1;
export const JANE = 2;
export const BEN = 3;

export function at(minute: number, day = "2026-11-20"): string {
  const h = String(Math.floor(minute / 60) + 8).padStart(2, "0");
  const m = String(minute % 60).padStart(2, "0");
  return `${day}T${h}:${m}:00.000Z`;
}

export function msg(id: number, over: Partial<Message> = {}): Message {
  const senderId = over.senderId ?? JANE;
  return {
    id,
    conversationId: 10,
    senderId,
    content: `message ${id}`,
    type: "TEXT",
    read: false,
    createdAt: at(id),
    sender: { id: senderId, name: senderId === ME ? "Chloe Martin" : "Jane Doe", role: senderId === ME ? "PATIENT" : "NURSE" },
    clientId: null,
    ...over,
  };
}

export function summary(id: number, over: Partial<ConversationSummary> = {}): ConversationSummary {
  const otherId = over.other?.id ?? (id === 10 ? JANE : BEN);
  return {
    id,
    bookingId: null,
    other: { id: otherId, name: otherId === JANE ? "Jane Doe" : "Ben Carter", email: `u${otherId}@example.com`, role: "NURSE" },
    lastMessage: null,
    unread: 0,
    updatedAt: at(id),
    muted: false,
    draft: null,
    missedCall: false,
    lastFile: null,
    urgent: 0,
    ...over,
  };
}

export function outboxItem(clientId: string, over: Partial<OutboxItem> = {}): OutboxItem {
  return {
    localId: 1,
    clientId,
    conversationId: 10,
    content: "on its way",
    state: "pending",
    reason: null,
    failure: null,
    messageId: null,
    createdAt: at(500),
    attempts: 0,
    attemptedAt: null,
    urgent: false,
    ...over,
  };
}

export function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    eventsBefore: 0,
    me: ME,
    connection: { state: "online", outbox: 0, retryInMs: null, urgent: true },
    conversations: [summary(10), summary(11)],
    unread: {},
    unreadTotal: 0,
    outbox: [],
    typing: [],
    presence: [],
    ringing: [],
    call: null,
    open: null,
    ...over,
  };
}

export function session(over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    signedIn: true,
    server: "https://nursecare-backend-luth.onrender.com",
    email: "chloe@example.com",
    role: "PATIENT",
    userId: ME,
    locked: false,
    hasPin: false,
    ended: null,
    problem: null,
    others: [],
    productionServer: "https://nursecare-backend-luth.onrender.com",
    localServer: "http://127.0.0.1:3001",
    ...over,
  };
}
