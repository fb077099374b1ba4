// A fake shell for looking at the UI in a browser without Tauri (npx vite → /demo.html):
// one chat with 10,000 messages, presence, typing, an outbox, search, settings.
// Query: ?signedOut shows the sign-in screen; ?offline starts offline.
import { mockIPC } from "@tauri-apps/api/mocks";
import type { ConversationSummary } from "../bindings/ConversationSummary";
import type { Message } from "../bindings/Message";
import type { OutboxItem } from "../bindings/OutboxItem";
import type { Settings } from "../bindings/Settings";
import type { AppEvent, SessionInfo } from "../shell";

const ME = 1;
const params = new URLSearchParams(location.search);
const START = Date.now() - 10_000 * 7 * 60_000;
const words = ["blood pressure", "tablets", "walk", "sleep", "dressing", "appointment", "fever", "insulin", "breakfast", "physio"];

function make(conversationId: number, other: { id: number; name: string }, count: number, step: number): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    const mine = i % 3 === 1;
    const id = conversationId * 100_000 + i + 1;
    const w = words[i % words.length];
    const content =
      i % 97 === 0
        ? `Here is the leaflet: https://example.org/care/${i} — read it before the visit.`
        : i % 53 === 0
          ? "A longer message, to see wrapping: I took the tablets at eight, had breakfast, and went for a short walk around the block. Feeling a bit tired but otherwise fine. The dressing looks clean."
          : `${mine ? "Update" : "Question"} ${i}: about the ${w}?`;
    out.push({
      id,
      conversationId,
      senderId: mine ? ME : other.id,
      content,
      type: i % 211 === 0 ? "SYSTEM" : i % 389 === 0 ? "IMAGE" : "TEXT",
      read: i < count - 4,
      createdAt: new Date(START + i * step * 60_000).toISOString(),
      sender: mine ? { id: ME, name: "Chloe Martin", role: "PATIENT" } : { id: other.id, name: other.name, role: "NURSE" },
      clientId: null,
    });
    const last = out[out.length - 1] as Message;
    if (last.type === "SYSTEM") last.content = i % 2 ? "VIDEO_CALL_ENDED:2m 50s" : "VIDEO_CALL_STARTED";
    if (last.type === "IMAGE") last.content = `photo-${i}.jpg`;
    if (last.content.includes("Question 5:")) last.content = "<img src=x onerror=alert(1)> stays text";
  }
  return out;
}

const jane = { id: 2, name: "Jane Doe" };
const ben = { id: 3, name: "Ben Carter" };
const amara = { id: 4, name: "Amara Okafor" };
const threads: Record<number, Message[]> = {
  10: make(10, jane, 10_000, 7),
  11: make(11, ben, 40, 600),
  12: make(12, amara, 3, 60),
};

function summary(id: number, other: { id: number; name: string }, extra: Partial<ConversationSummary>): ConversationSummary {
  const msgs = threads[id] ?? [];
  const last = msgs[msgs.length - 1] ?? null;
  return {
    id,
    bookingId: null,
    other: { ...other, email: `${other.name.split(" ")[0]?.toLowerCase()}@example.com`, role: "NURSE" },
    lastMessage: last,
    unread: 0,
    updatedAt: last?.createdAt ?? new Date().toISOString(),
    muted: false,
    draft: null,
    missedCall: false,
    lastFile: null,
    urgent: 0,
    ...extra,
  };
}

let conversations: ConversationSummary[] = [
  summary(10, jane, { unread: 3 }),
  summary(11, ben, { muted: true, draft: "Thanks, I will bring the" }),
  summary(12, amara, {}),
];

const session: SessionInfo = {
  signedIn: !params.has("signedOut"),
  server: "https://nursecare-backend-luth.onrender.com",
  email: "chloe@example.com",
  role: "PATIENT",
  userId: ME,
  locked: params.has("locked"),
  hasPin: true,
  ended: params.has("expired") ? "expired" : null,
  problem: null,
  others: [],
  productionServer: "https://nursecare-backend-luth.onrender.com",
  localServer: "http://127.0.0.1:3001",
};

let settings: Settings = { server: null, jitsiDomain: null, notificationPrivacy: "senderOnly", startAtLogin: false, lockMinutes: null };
let channel: { onmessage: (e: AppEvent) => void } | null = null;
const emit = (e: AppEvent) => channel?.onmessage(e);
let localId = 1;

function newestFirst(list: Message[]): Message[] {
  return [...list].reverse();
}

mockIPC((cmd, payload) => {
  const a = (payload ?? {}) as Record<string, unknown>;
  switch (cmd) {
    case "attach":
      channel = a.events as typeof channel;
      if (session.signedIn) setTimeout(sendSnapshot, 0);
      return session;
    case "sign_in":
      if (a.password !== "secret") return Promise.reject({ kind: "invalidCredentials", message: "Unauthorized" });
      session.signedIn = true;
      setTimeout(sendSnapshot, 0);
      return session;
    case "lock_now":
      session.locked = true;
      emit({ type: "session", session: { ...session } });
      return null;
    case "input":
      return null;
    case "unlock":
      if (a.typed !== "123456") return Promise.reject({ kind: "wrongSecret", left: 4, message: "Wrong PIN or password." });
      session.locked = false;
      return { ...session };
    case "lock_policy":
      return { minutes: 5, byOrganisation: false };
    case "sign_out":
      session.signedIn = false;
      session.ended = "signedOut";
      return session;
    case "history": {
      const list = threads[a.conversationId as number] ?? [];
      const before = a.before as number | null;
      const end = before === null ? list.length : list.findIndex((m) => m.id === before);
      const limit = a.limit as number;
      return new Promise((r) => setTimeout(() => r(newestFirst(list.slice(Math.max(0, end - limit), end))), 120));
    }
    case "around": {
      const list = threads[a.conversationId as number] ?? [];
      const at = list.findIndex((m) => m.id === a.messageId);
      const n = a.count as number;
      return newestFirst(list.slice(Math.max(0, at - n), at + n + 1));
    }
    case "search": {
      const q = String(a.query).toLowerCase();
      const hits = [];
      for (const list of Object.values(threads)) {
        for (const m of list) {
          const at = m.content.toLowerCase().indexOf(q);
          if (at >= 0 && m.type === "TEXT") {
            hits.push({
              message: m,
              snippet: [
                { text: m.content.slice(Math.max(0, at - 30), at), hit: false },
                { text: m.content.slice(at, at + q.length), hit: true },
                { text: m.content.slice(at + q.length, at + q.length + 40), hit: false },
              ],
            });
          }
          if (hits.length >= (a.limit as number)) return hits;
        }
      }
      return hits;
    }
    case "mark_read": {
      conversations = conversations.map((c) => (c.id === a.conversationId ? { ...c, unread: 0 } : c));
      const unread = Object.fromEntries(conversations.filter((c) => c.unread).map((c) => [c.id, c.unread]));
      setTimeout(() => emit({ type: "core", event: { event: "unread", conversations: unread, total: Object.values(unread).reduce((x, y) => x + y, 0) } }), 50);
      return 3;
    }
    case "send_message": {
      const conversationId = a.conversationId as number;
      const item: OutboxItem = {
        localId: localId++,
        clientId: `c-${Date.now()}`,
        conversationId,
        content: String(a.text),
        state: "pending",
        reason: null,
        failure: null,
        messageId: null,
        createdAt: new Date().toISOString(),
        attempts: 0,
        attemptedAt: null,
        urgent: a.urgent === true,
      };
      if (String(a.text).includes("fail")) {
        setTimeout(() => emit({ type: "core", event: { event: "outbox", item: { ...item, state: "failed", reason: "The server refused the message.", failure: "refused" } } }), 600);
        return item;
      }
      setTimeout(() => {
        const list = threads[conversationId] ?? [];
        const message: Message = {
          id: conversationId * 100_000 + list.length + 1,
          conversationId,
          senderId: ME,
          content: item.content,
          type: "TEXT",
          read: false,
          createdAt: new Date().toISOString(),
          sender: { id: ME, name: "Chloe Martin", role: "PATIENT" },
          clientId: item.clientId,
        };
        list.push(message);
        emit({ type: "core", event: { event: "outbox", item: { ...item, state: "sent", messageId: message.id } } });
        emit({ type: "core", event: { event: "messageAdded", message, live: true } });
        const row = conversations.find((c) => c.id === conversationId);
        if (row) emit({ type: "core", event: { event: "conversation", summary: { ...row, lastMessage: message, updatedAt: message.createdAt, draft: null } } });
        setTimeout(() => emit({ type: "core", event: { event: "read", conversationId, readBy: jane.id, at: new Date().toISOString() } }), 1500);
      }, 700);
      return item;
    }
    case "get_settings":
      return settings;
    case "save_settings":
      settings = a.settings as Settings;
      return settings;
    case "set_muted":
      conversations = conversations.map((c) => (c.id === a.conversationId ? { ...c, muted: Boolean(a.muted) } : c));
      return null;
    default:
      return null;
  }
});

function sendSnapshot() {
  emit({
    type: "snapshot",
    snapshot: {
      eventsBefore: 0,
      me: ME,
      connection: params.has("offline") ? { state: "offline", outbox: 2, retryInMs: 5000, urgent: true } : { state: "online", outbox: 0, retryInMs: null, urgent: true },
      conversations,
      unread: { 10: 3 },
      unreadTotal: 3,
      outbox: [],
      typing: [{ conversationId: 10, userId: jane.id }],
      presence: [
        { userId: jane.id, online: true, lastSeen: null },
        { userId: ben.id, online: false, lastSeen: new Date(Date.now() - 42 * 60_000).toISOString() },
      ],
      ringing: [],
      call: null,
      open: params.has("open") ? 10 : null,
    },
  });
}

await import("../main");
