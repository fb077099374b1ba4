// Pure state transitions: the shell's AppEvents (snapshot, core events, session) and the
// results of commands the actions ran. No I/O here.
import type { ChatFile } from "../bindings/ChatFile";
import type { ConversationSummary } from "../bindings/ConversationSummary";
import type { VideoCall } from "../bindings/VideoCall";
import type { Event } from "../bindings/Event";
import type { Message } from "../bindings/Message";
import type { OutboxItem } from "../bindings/OutboxItem";
import type { SearchHit } from "../bindings/SearchHit";
import type { Settings } from "../bindings/Settings";
import type { Snapshot } from "../bindings/Snapshot";
import type { AppEvent, SessionInfo } from "../shell";
import { CACHE_REBUILT_TEXT } from "../text";
import { mergeMessages, sortConversations, sortMessages, unreadMarker } from "./messages";
import { emptySearch, initialState, LIVE_KEEP, LIVE_MAX, type State, type Thread, type Transfer } from "./state";

export type Action =
  | { type: "appEvent"; event: AppEvent }
  /** A batch of events in stream order (see `handleAppEvent`). */
  | { type: "appEvents"; events: AppEvent[] }
  | { type: "attached"; session: SessionInfo }
  | { type: "attachFailed"; error: string }
  | { type: "sessionChanged"; session: SessionInfo }
  | { type: "select"; conversationId: number | null }
  | { type: "historyLoading"; conversationId: number; older: boolean }
  /** `messages` oldest first. `replace`: the newest page (a fresh start of the thread). */
  | { type: "historyLoaded"; conversationId: number; messages: Message[]; reachedStart: boolean; replace: boolean }
  | { type: "historyFailed"; conversationId: number; error: string }
  | { type: "aroundLoaded"; conversationId: number; messages: Message[]; highlightId: number; reachedStart: boolean; hasNewer: boolean }
  | { type: "highlight"; conversationId: number; messageId: number | null }
  /** The view reached (or left) the newest message. */
  | { type: "following"; conversationId: number; following: boolean }
  | { type: "outboxUpsert"; item: OutboxItem }
  | { type: "outboxRemoved"; clientId: string }
  | { type: "composerError"; conversationId: number; error: string | null }
  | { type: "draftTyped"; conversationId: number; text: string }
  | { type: "mutedChanged"; conversationId: number; muted: boolean }
  | { type: "searchQuery"; query: string }
  | { type: "searchLoading"; query: string }
  | { type: "searchResults"; query: string; hits: SearchHit[] }
  | { type: "searchFailed"; query: string; error: string }
  | { type: "notice"; text: string }
  | { type: "dismissNotice"; id: number }
  | { type: "settingsOpen"; open: boolean }
  | { type: "settingsLoaded"; settings: Settings }
  | { type: "conversationsLoaded"; conversations: ConversationSummary[] }
  | { type: "firstPaintSent" }
  | { type: "callHistoryLoaded"; conversationId: number; calls: VideoCall[] }
  | { type: "callHistoryOpen"; conversationId: number | null }
  | { type: "filesLoaded"; conversationId: number; files: ChatFile[] }
  | { type: "filesOpen"; conversationId: number | null }
  | { type: "transferStarted"; transfer: Transfer }
  | { type: "transferProgress"; id: string; done: number; total: number }
  | { type: "transferFailed"; id: string; error: string }
  | { type: "transferEnded"; id: string }
  | { type: "thumbnailLoaded"; fileId: number; url: string };

export function reduce(state: State, action: Action): State {
  switch (action.type) {
    case "appEvent":
      return applyAppEvent(state, action.event);
    case "appEvents":
      return applyBatch(state, action.events);
    case "attached":
      return withSession({ ...state, phase: "ready", attachError: null }, action.session);
    case "attachFailed":
      return { ...state, phase: "failed", attachError: action.error };
    case "sessionChanged":
      return withSession(state, action.session);
    case "select":
      return select(state, action.conversationId);
    case "historyLoading": {
      const thread = state.threads[action.conversationId];
      if (action.older) {
        if (!thread) return state;
        return setThread(state, action.conversationId, { ...thread, loadingOlder: true });
      }
      return setThread(state, action.conversationId, {
        ...(thread ?? newThread()),
        status: thread?.status === "ready" ? "ready" : "loading",
        error: null,
      });
    }
    case "historyLoaded": {
      const thread = state.threads[action.conversationId] ?? newThread();
      const messages = action.replace
        ? mergeMessages(sortMessages(action.messages), liveSince(thread, action.messages))
        : mergeMessages(thread.messages, action.messages);
      const unreadMarkerId =
        action.replace && thread.unreadMarkerId === null
          ? unreadMarker(messages, state.me, state.unreadAtOpen[action.conversationId] ?? 0)
          : thread.unreadMarkerId;
      const next: Thread = {
        ...thread,
        messages,
        status: "ready",
        error: null,
        loadingOlder: false,
        reachedStart: action.reachedStart || (action.replace ? false : thread.reachedStart),
        hasNewer: action.replace ? false : thread.hasNewer,
        unreadMarkerId,
        // The newest page opens at the newest message.
        following: action.replace ? true : thread.following,
      };
      return dropDelivered(setThread(state, action.conversationId, next), action.conversationId);
    }
    case "historyFailed": {
      const thread = state.threads[action.conversationId] ?? newThread();
      return setThread(state, action.conversationId, {
        ...thread,
        status: thread.status === "ready" ? "ready" : "error",
        loadingOlder: false,
        error: action.error,
      });
    }
    case "aroundLoaded": {
      const thread = state.threads[action.conversationId] ?? newThread();
      const next: Thread = {
        ...thread,
        messages: sortMessages(action.messages),
        status: "ready",
        error: null,
        loadingOlder: false,
        reachedStart: action.reachedStart,
        hasNewer: action.hasNewer,
        highlightId: action.highlightId,
        unreadMarkerId: null,
        // Positioned at the hit, not the newest: nothing is trimmed until the view gets there.
        following: false,
      };
      return dropDelivered(setThread(state, action.conversationId, next), action.conversationId);
    }
    case "highlight": {
      const thread = state.threads[action.conversationId];
      if (!thread) return state;
      return setThread(state, action.conversationId, { ...thread, highlightId: action.messageId });
    }
    case "following": {
      const thread = state.threads[action.conversationId];
      if (!thread || thread.following === action.following) return state;
      return setThread(state, action.conversationId, { ...thread, following: action.following });
    }
    case "outboxUpsert":
      return upsertOutbox(state, action.item);
    case "outboxRemoved":
      return removeOutbox(state, action.clientId);
    case "composerError": {
      const composerErrors = { ...state.composerErrors };
      if (action.error === null) delete composerErrors[action.conversationId];
      else composerErrors[action.conversationId] = action.error;
      return { ...state, composerErrors };
    }
    case "draftTyped":
      return { ...state, drafts: { ...state.drafts, [action.conversationId]: action.text } };
    case "mutedChanged":
      return {
        ...state,
        conversations: state.conversations.map((c) =>
          c.id === action.conversationId ? { ...c, muted: action.muted } : c,
        ),
      };
    case "searchQuery":
      return action.query.trim().length === 0
        ? { ...state, search: emptySearch }
        : { ...state, search: { ...state.search, query: action.query } };
    case "searchLoading":
      if (action.query !== state.search.query) return state;
      return { ...state, search: { ...state.search, status: "loading", error: null } };
    case "searchResults":
      if (action.query !== state.search.query) return state;
      return { ...state, search: { ...state.search, status: "ready", hits: action.hits, error: null } };
    case "searchFailed":
      if (action.query !== state.search.query) return state;
      return { ...state, search: { ...state.search, status: "error", hits: [], error: action.error } };
    case "notice":
      return addNotice(state, action.text);
    case "dismissNotice":
      return { ...state, notices: state.notices.filter((n) => n.id !== action.id) };
    case "settingsOpen":
      return { ...state, settingsOpen: action.open };
    case "settingsLoaded":
      return { ...state, settings: action.settings };
    case "conversationsLoaded":
      return setConversations(state, action.conversations);
    case "firstPaintSent":
      return { ...state, firstPaintSent: true };
    case "callHistoryLoaded":
      return { ...state, callHistory: { ...state.callHistory, [action.conversationId]: action.calls } };
    case "callHistoryOpen":
      return { ...state, historyOpen: action.conversationId };
    case "filesLoaded":
      return { ...state, files: { ...state.files, [action.conversationId]: action.files } };
    case "filesOpen":
      return { ...state, filesOpen: action.conversationId };
    case "transferStarted":
      return { ...state, transfers: [...state.transfers, action.transfer] };
    case "transferProgress":
      return {
        ...state,
        transfers: state.transfers.map((t) => (t.id === action.id ? { ...t, done: action.done, total: action.total } : t)),
      };
    case "transferFailed":
      return { ...state, transfers: state.transfers.map((t) => (t.id === action.id ? { ...t, error: action.error } : t)) };
    case "transferEnded":
      return { ...state, transfers: state.transfers.filter((t) => t.id !== action.id) };
    case "thumbnailLoaded":
      return { ...state, thumbnails: { ...state.thumbnails, [action.fileId]: action.url } };
  }
}

function newThread(): Thread {
  return {
    messages: [],
    status: "loading",
    error: null,
    loadingOlder: false,
    reachedStart: false,
    hasNewer: false,
    highlightId: null,
    unreadMarkerId: null,
    following: true,
  };
}

/** Messages that arrived live while the newest page was loading and are newer than it. */
function liveSince(thread: Thread, page: Message[]): Message[] {
  if (thread.messages.length === 0) return [];
  const pageIds = new Set(page.map((m) => m.id));
  const newest = page.reduce((max, m) => Math.max(max, Date.parse(m.createdAt) || 0), 0);
  return thread.messages.filter((m) => !pageIds.has(m.id) && (Date.parse(m.createdAt) || 0) >= newest);
}

function setThread(state: State, id: number, thread: Thread): State {
  return { ...state, threads: { ...state.threads, [id]: thread } };
}

function addNotice(state: State, text: string): State {
  if (state.notices.some((n) => n.text === text)) return state;
  const notices = [...state.notices, { id: state.nextNoticeId, text }].slice(-5);
  return { ...state, notices, nextNoticeId: state.nextNoticeId + 1 };
}

function withSession(state: State, session: SessionInfo): State {
  if (!session.signedIn) {
    // Signed out: nothing of the old account stays on screen.
    return {
      ...initialState,
      phase: state.phase,
      attachError: state.attachError,
      session,
      firstPaintSent: state.firstPaintSent,
      connection: { state: "signedOut", outbox: 0, retryInMs: null, urgent: false },
    };
  }
  const changedUser = state.session?.userId != null && state.session.userId !== session.userId;
  const base = changedUser ? { ...initialState, phase: state.phase, firstPaintSent: state.firstPaintSent } : state;
  return { ...base, session, me: base.me ?? session.userId };
}

function select(state: State, id: number | null): State {
  if (id === null) return { ...state, open: null };
  const unread = state.conversations.find((c) => c.id === id)?.unread ?? state.unread[id] ?? 0;
  let threads = state.threads;
  const thread = threads[id];
  if (thread && state.open !== id) {
    // Re-opening a loaded chat: the marker moves to what is unread now.
    threads = {
      ...threads,
      [id]: { ...thread, highlightId: null, unreadMarkerId: unreadMarker(thread.messages, state.me, unread) },
    };
  }
  return {
    ...state,
    open: id,
    threads,
    unreadAtOpen: state.open === id ? state.unreadAtOpen : { ...state.unreadAtOpen, [id]: unread },
  };
}

function setConversations(state: State, list: ConversationSummary[]): State {
  const conversations = sortConversations(list);
  const unread: Record<number, number> = {};
  let unreadTotal = 0;
  for (const c of conversations) {
    if (c.unread > 0) unread[c.id] = c.unread;
    unreadTotal += c.unread;
  }
  return { ...state, conversations, unread, unreadTotal };
}

function upsertConversation(state: State, summary: ConversationSummary): State {
  const others = state.conversations.filter((c) => c.id !== summary.id);
  return setConversations(state, [...others, summary]);
}

// ---------- the outbox ----------

function isDelivered(item: OutboxItem, thread: Thread | undefined): boolean {
  if (!thread) return false;
  // Older than the oldest loaded message: in the history above (a trimmed thread).
  const oldest = thread.messages[0];
  if (item.messageId !== null && oldest !== undefined && item.messageId < oldest.id) return true;
  return thread.messages.some(
    (m) => (item.messageId !== null && m.id === item.messageId) || (m.clientId != null && m.clientId === item.clientId),
  );
}

function upsertOutbox(state: State, item: OutboxItem): State {
  const thread = state.threads[item.conversationId];
  // A sent row goes once its message is in the thread; with no thread loaded, history brings it.
  if (item.state === "sent" && (isDelivered(item, thread) || !thread || thread.hasNewer)) {
    return removeOutbox(state, item.clientId);
  }
  return { ...state, outbox: { ...state.outbox, [item.clientId]: item } };
}

function removeOutbox(state: State, clientId: string): State {
  if (!(clientId in state.outbox)) return state;
  const outbox = { ...state.outbox };
  delete outbox[clientId];
  return { ...state, outbox };
}

/** Drops outbox rows whose message is now in the conversation's thread. */
function dropDelivered(state: State, conversationId: number): State {
  const thread = state.threads[conversationId];
  let outbox = state.outbox;
  for (const item of Object.values(state.outbox)) {
    if (item.conversationId === conversationId && isDelivered(item, thread)) {
      if (outbox === state.outbox) outbox = { ...outbox };
      delete outbox[item.clientId];
    }
  }
  return outbox === state.outbox ? state : { ...state, outbox };
}

// ---------- events ----------

export function applyAppEvent(state: State, event: AppEvent): State {
  switch (event.type) {
    case "snapshot":
      return applySnapshot(state, event.snapshot);
    case "core":
      return applyCoreEvent(state, event.event);
    case "coreBatch":
      return applyBatch(
        state,
        event.events.map((e) => ({ type: "core", event: e })),
      );
    case "session":
      return withSession(state, event.session);
    case "openConversation":
      return { ...select(state, event.conversationId), search: emptySearch, settingsOpen: false };
    case "filesDropped":
      // Shared by the actions (the open chat's uploads show as transfers).
      return state;
  }
}

export function applySnapshot(state: State, snap: Snapshot): State {
  const typing: Record<number, number[]> = {};
  for (const t of snap.typing) {
    if (t.userId === snap.me) continue;
    typing[t.conversationId] = [...(typing[t.conversationId] ?? []), t.userId];
  }
  const presence: State["presence"] = {};
  for (const p of snap.presence) presence[p.userId] = { online: p.online, lastSeen: p.lastSeen };
  const outbox: State["outbox"] = {};
  for (const item of snap.outbox) outbox[item.clientId] = item;
  const unread: Record<number, number> = {};
  for (const [k, v] of Object.entries(snap.unread)) if (v > 0) unread[Number(k)] = v;
  return {
    ...state,
    hasSnapshot: true,
    me: snap.me,
    connection: snap.connection,
    conversations: sortConversations(snap.conversations),
    unread,
    unreadTotal: snap.unreadTotal,
    outbox,
    typing,
    presence,
    ringing: snap.ringing,
    calls: [],
    myCall: snap.call,
    open: snap.open,
    unreadAtOpen: snap.open === null ? {} : { [snap.open]: unread[snap.open] ?? 0 },
    // Threads are loaded again from the cache: nothing from before the snapshot is kept.
    threads: {},
    drafts: {},
    composerErrors: {},
  };
}

export function applyCoreEvent(state: State, ev: Event): State {
  switch (ev.event) {
    // The shell raises it (through mute, also while locked); nothing to keep here.
    case "urgentAgain":
      return state;
    case "connection":
      return { ...state, connection: { state: ev.state, outbox: ev.outbox, retryInMs: ev.retryInMs, urgent: ev.urgent } };
    case "conversations":
      return setConversations(state, ev.conversations);
    case "conversation":
      return upsertConversation(state, ev.summary);
    case "messageAdded":
      return addMessages(state, ev.message.conversationId, [ev.message]);
    case "messagesFound":
      return addMessages(state, ev.conversationId, ev.messages);
    case "outbox":
      return upsertOutbox(state, ev.item);
    case "outboxDiscarded":
      return removeOutbox(state, ev.clientId);
    case "unread": {
      const unread: Record<number, number> = {};
      for (const [k, v] of Object.entries(ev.conversations)) if (v > 0) unread[Number(k)] = v;
      const conversations = state.conversations.map((c) => {
        const n = unread[c.id] ?? 0;
        return c.unread === n ? c : { ...c, unread: n };
      });
      return { ...state, unread, unreadTotal: ev.total, conversations };
    }
    case "typing": {
      if (ev.userId === state.me) return state;
      return setTyping(state, ev.conversationId, ev.userId, ev.typing);
    }
    case "read":
      return applyRead(state, ev.conversationId, ev.readBy, ev.at);
    case "presence":
      return { ...state, presence: { ...state.presence, [ev.userId]: { online: ev.online, lastSeen: ev.lastSeen } } };
    case "incomingCall": {
      const ringing = state.ringing.filter((r) => r.callId !== ev.callId);
      ringing.push({ callId: ev.callId, conversationId: ev.conversationId, roomName: ev.roomName, callerId: ev.callerId });
      return { ...state, ringing };
    }
    case "call": {
      const calls = [...state.calls, ev].slice(-20);
      // Any change to a call (answered, declined, ended, missed) stops it ringing here.
      const ringing = state.ringing.filter((r) => r.callId !== ev.callId);
      return { ...state, calls, ringing };
    }
    case "myCall": {
      // A call answered here stops ringing here.
      const answered = ev.call?.callId;
      const ringing = answered === undefined ? state.ringing : state.ringing.filter((r) => r.callId !== answered);
      return { ...state, myCall: ev.call, ringing };
    }
    case "cacheRebuilt":
      return addNotice(state, CACHE_REBUILT_TEXT);
    case "error":
      return addNotice(state, ev.message);
    case "joined":
      return state;
    case "missedCall":
      // The row's own event carries the mark; the shell notifies.
      return state;
    case "fileShared":
      // The shell notifies; the panel and the row follow filesChanged and the row's event.
      return state;
    case "filesChanged":
      // The actions load the chat's files again when its panel is shown.
      return state;
  }
}

function setTyping(state: State, conversationId: number, userId: number, on: boolean): State {
  const now = state.typing[conversationId] ?? [];
  const has = now.includes(userId);
  if (on === has) return state;
  const next = on ? [...now, userId] : now.filter((u) => u !== userId);
  const typing = { ...state.typing };
  if (next.length) typing[conversationId] = next;
  else delete typing[conversationId];
  return { ...state, typing };
}

// Events that never read or change a thread's messages, typing or outbox: messages may be
// added after them without changing the outcome.
const BESIDE_MESSAGES = new Set(["conversation", "conversations", "unread", "presence", "connection", "joined"]);

/** A batch in order, with the messages of a run (live or found, one conversation) merged into
 * the thread at once: 10,000 live messages cost a few merges, not 10,000. */
function applyBatch(state: State, events: AppEvent[]): State {
  let next = state;
  let run: { conversationId: number; messages: Message[] } | null = null;
  const addRun = () => {
    if (run) next = addMessages(next, run.conversationId, run.messages);
    run = null;
  };
  for (const event of events) {
    if (event.type === "core" && (event.event.event === "messageAdded" || event.event.event === "messagesFound")) {
      const ev = event.event;
      const conversationId = ev.event === "messageAdded" ? ev.message.conversationId : ev.conversationId;
      const messages = ev.event === "messageAdded" ? [ev.message] : ev.messages;
      if (run !== null && (run as { conversationId: number }).conversationId !== conversationId) addRun();
      if (run === null) run = { conversationId, messages: [...messages] };
      else (run as { messages: Message[] }).messages.push(...messages);
      continue;
    }
    if (!(event.type === "core" && BESIDE_MESSAGES.has(event.event.event))) addRun();
    next = applyAppEvent(next, event);
  }
  addRun();
  return next;
}

function addMessages(state: State, conversationId: number, messages: Message[]): State {
  let next = state;
  // Whoever sent a message has stopped typing it.
  for (const m of messages) {
    if (m.senderId !== state.me) next = setTyping(next, conversationId, m.senderId, false);
  }
  const thread = next.threads[conversationId];
  // Only loaded threads hold messages; the list row comes from `conversation` events.
  // A thread opened around a search hit has a gap before the newest: it loads them on "Jump to latest".
  // While its first page loads, live messages wait in the thread and are kept when the page lands.
  if (thread && !thread.hasNewer) {
    next = setThread(
      next,
      conversationId,
      keepLiveWindow({ ...thread, messages: mergeMessages(thread.messages, messages) }, next.open === conversationId),
    );
  }
  // A row whose message has arrived is no longer shown as pending.
  let outbox = next.outbox;
  for (const item of Object.values(next.outbox)) {
    const delivered = messages.some(
      (m) => (item.messageId !== null && m.id === item.messageId) || (m.clientId != null && m.clientId === item.clientId),
    );
    if (delivered) {
      if (outbox === next.outbox) outbox = { ...outbox };
      delete outbox[item.clientId];
    }
  }
  return outbox === next.outbox ? next : { ...next, outbox };
}

/** The open, followed thread past LIVE_MAX drops its oldest loaded messages down to LIVE_KEEP.
 * Not a chat in the background (its "New messages" marker is placed from what is loaded when
 * it opens), nor while an older page is on its way (it would land above a gap). */
function keepLiveWindow(thread: Thread, open: boolean): Thread {
  if (!open || !thread.following || thread.loadingOlder || thread.messages.length <= LIVE_MAX) return thread;
  return { ...thread, messages: thread.messages.slice(-LIVE_KEEP), reachedStart: false };
}

function applyRead(state: State, conversationId: number, readBy: number, at: string): State {
  // Someone else read my messages up to `at` (my own reads on another device change nothing here).
  if (readBy === state.me) return state;
  const until = Date.parse(at);
  const isNowRead = (m: Message) =>
    !m.read && m.senderId === state.me && (Number.isNaN(until) || Date.parse(m.createdAt) <= until);
  let next = state;
  const thread = state.threads[conversationId];
  if (thread && thread.messages.some(isNowRead)) {
    next = setThread(next, conversationId, {
      ...thread,
      // An urgent message's sender sees when it was read.
      messages: thread.messages.map((m) => (isNowRead(m) ? { ...m, read: true, readAt: m.urgent ? (m.readAt ?? at) : m.readAt } : m)),
    });
  }
  const conversations = next.conversations.map((c) =>
    c.id === conversationId && c.lastMessage && isNowRead(c.lastMessage)
      ? { ...c, lastMessage: { ...c.lastMessage, read: true } }
      : c,
  );
  return { ...next, conversations };
}
