// Ordering and merging of a thread's messages: sorted by createdAt, then id; unique ids.
import type { ConversationSummary } from "../bindings/ConversationSummary";
import type { Message } from "../bindings/Message";

function time(m: Message): number {
  const t = Date.parse(m.createdAt);
  return Number.isNaN(t) ? 0 : t;
}

export function compareMessages(a: Message, b: Message): number {
  return time(a) - time(b) || a.id - b.id;
}

export function sortMessages(messages: Message[]): Message[] {
  const keyed = messages.map((m) => ({ m, t: time(m) }));
  keyed.sort((a, b) => a.t - b.t || a.m.id - b.m.id);
  return keyed.map((k) => k.m);
}

/** Merges `incoming` into the sorted `existing` by id (incoming wins), keeping the order. */
export function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return existing;
  if (existing.length === 0) return dedupeSorted(sortMessages(incoming));
  const sortedIncoming = dedupeSorted(sortMessages(incoming));
  const first = sortedIncoming[0] as Message;
  const last = existing[existing.length - 1] as Message;
  // Fast paths need no id check: a message sorts by (time, id), so one strictly after the end
  // (live messages, newer pages) or strictly before the start (older pages) is not there.
  if (compareMessages(first, last) > 0) return existing.concat(sortedIncoming);
  const newestIncoming = sortedIncoming[sortedIncoming.length - 1] as Message;
  if (compareMessages(newestIncoming, existing[0] as Message) < 0) {
    return sortedIncoming.concat(existing);
  }
  const byId = new Map<number, Message>();
  for (const m of existing) byId.set(m.id, m);
  for (const m of sortedIncoming) byId.set(m.id, m);
  return sortMessages([...byId.values()]);
}

/** Sorted input; keeps the last of equal ids. */
function dedupeSorted(sorted: Message[]): Message[] {
  const seen = new Map<number, number>();
  const out: Message[] = [];
  for (const m of sorted) {
    const at = seen.get(m.id);
    if (at === undefined) {
      seen.set(m.id, out.length);
      out.push(m);
    } else {
      out[at] = m;
    }
  }
  return out;
}

function updatedAt(c: ConversationSummary): number {
  const t = Date.parse(c.updatedAt);
  return Number.isNaN(t) ? 0 : t;
}

/** The list's order: most recent activity first (ties: higher id first). */
export function sortConversations(list: ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => updatedAt(b) - updatedAt(a) || b.id - a.id);
}

/** The first of the last `unread` messages from others: where "New messages" goes. */
export function unreadMarker(messages: Message[], me: number | null, unread: number): number | null {
  if (unread <= 0) return null;
  let counted = 0;
  let marker: number | null = null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Message;
    if (m.senderId === me || m.type === "SYSTEM") continue;
    marker = m.id;
    counted++;
    if (counted >= unread) break;
  }
  return marker;
}
