// Derived views of the state, per screen. Selectors used with useStore return parts of the
// state itself (stable references); list building happens in pure functions used with useMemo.
import type { ConversationSummary } from "../bindings/ConversationSummary";
import type { Message } from "../bindings/Message";
import type { OutboxItem } from "../bindings/OutboxItem";
import { dayLabel, displayName } from "../text";
import type { State } from "./state";

export const selectOpenSummary = (s: State): ConversationSummary | undefined =>
  s.open === null ? undefined : s.conversations.find((c) => c.id === s.open);

export const selectThread = (id: number | null) => (s: State) => (id === null ? undefined : s.threads[id]);

/** Whether the user has a call here that another would hang up (a call left offline, waiting
 * only to be told to the server, does not count). */
export const selectInACall = (s: State): boolean => s.myCall !== null && s.myCall.phase !== "hangingUp";

/** Messages waiting to go out, for the connection banner: counted from the same outbox rows the
 * thread's bubbles show, so the banner and the bubbles cannot disagree. */
export const selectWaiting = (s: State): number =>
  Object.values(s.outbox).reduce((n, o) => (o.state === "pending" ? n + 1 : n), 0);

/** The name shown for a conversation: its other participant. */
export function conversationName(summary: ConversationSummary | undefined): string {
  return displayName(summary?.other ?? null);
}

/** Outbox rows of one conversation still to show, oldest first. */
export function outboxFor(outbox: State["outbox"], conversationId: number): OutboxItem[] {
  return Object.values(outbox)
    .filter((o) => o.conversationId === conversationId)
    .sort((a, b) => a.localId - b.localId);
}

/**
 * A row of the virtualised thread. Day separators and the "New messages" marker ride on the
 * row of the message they precede, so every row's key is a message (or outbox row): when an
 * older page is prepended, the row at the top of the view keeps its key and the list keeps
 * its place.
 */
export type Row =
  | { kind: "start"; key: string }
  | {
      kind: "message";
      key: string;
      message: Message;
      mine: boolean;
      firstOfGroup: boolean;
      /** A day separator above this message. */
      day: string | null;
      /** The "New messages" marker above this message. */
      unread: boolean;
    }
  | { kind: "outbox"; key: string; item: OutboxItem; day: string | null };

function dayKey(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "?" : `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/**
 * The rows of a thread, in order: messages (with day separators and the "New messages"
 * marker), then outbox rows whose message is not in the thread yet.
 */
export function buildRows(
  messages: Message[],
  outbox: OutboxItem[],
  me: number | null,
  unreadMarkerId: number | null,
  now: Date = new Date(),
): Row[] {
  const rows: Row[] = [];
  let lastDay = "";
  let lastSender: number | null = null;
  const ids = new Set<number>();
  const clientIds = new Set<string>();
  for (const m of messages) {
    ids.add(m.id);
    if (m.clientId) clientIds.add(m.clientId);
    const dk = dayKey(m.createdAt);
    const day = dk !== lastDay ? dayLabel(m.createdAt, now) : null;
    if (day !== null) {
      lastDay = dk;
      lastSender = null;
    }
    const unread = m.id === unreadMarkerId;
    if (unread) lastSender = null;
    const firstOfGroup = m.type === "SYSTEM" || m.senderId !== lastSender;
    rows.push({ kind: "message", key: `m:${m.id}`, message: m, mine: m.senderId === me, firstOfGroup, day, unread });
    lastSender = m.type === "SYSTEM" ? null : m.senderId;
  }
  for (const item of outbox) {
    if ((item.messageId !== null && ids.has(item.messageId)) || clientIds.has(item.clientId)) continue;
    const dk = dayKey(item.createdAt);
    const day = dk !== lastDay ? dayLabel(item.createdAt, now) : null;
    if (day !== null) lastDay = dk;
    rows.push({ kind: "outbox", key: `o:${item.clientId}`, item, day });
  }
  return rows;
}
