// What the UI can ask for. Each action calls the shell through ipc.ts and puts the result
// (or the error, in words) into the store. Components call these, never ipc.ts.
import type { ErrorReport } from "../bindings/ErrorReport";
import type { LockPolicy } from "../bindings/LockPolicy";
import type { Message } from "../bindings/Message";
import type { SearchHit } from "../bindings/SearchHit";
import type { Settings } from "../bindings/Settings";
import * as ipc from "../ipc";
import * as startTimes from "../startTimes";
import type { AppEvent, SessionInfo } from "../shell";
import { errorText } from "../text";
import { store } from "./store";

export const PAGE = 50;
export const AROUND = 25;
export const SEARCH_LIMIT = 50;

const dispatch = (...args: Parameters<typeof store.dispatch>) => store.dispatch(...args);
const state = () => store.getState();

function report(e: unknown): ErrorReport {
  return ipc.asErrorReport(e);
}

/** Something the user asked for: a failure becomes a notice instead of an unhandled rejection. */
function quietly(p: Promise<unknown>): void {
  p.catch((e: unknown) => dispatch({ type: "notice", text: errorText(report(e)) }));
}

/** Bookkeeping the user did not ask for (which chat is open, read marks): retried by the core
 * and the shell on their own, so a failure (offline, say) is not worth a notice. */
function silently(p: Promise<unknown>): void {
  p.catch((e: unknown) => console.warn("NurseCare:", report(e).kind, report(e).message));
}

// ---------- start-up and the event stream ----------

// Core events come in bursts (a catch-up, thousands of live messages): they are applied in
// batches, one store update (one render) per batch, at most one batch per BATCH_MS.
export const BATCH_MS = 16;
let queued: AppEvent[] = [];
let timer: ReturnType<typeof setTimeout> | null = null;

export function handleAppEvent(event: AppEvent): void {
  if (event.type === "core" || event.type === "coreBatch") {
    // A burst the shell sent as one message is queued event by event.
    if (event.type === "core") queued.push(event);
    else for (const e of event.events) queued.push({ type: "core", event: e });
    timer ??= setTimeout(flushEvents, BATCH_MS);
    return;
  }
  // The shell's own messages keep their place after the core events before them.
  flushEvents();
  dispatch({ type: "appEvent", event });
  if (event.type === "openConversation") afterSelect(event.conversationId, true);
  if (event.type === "filesDropped") dropped(event.paths);
  // A reloaded window shows the chat it had open (the list and threads start afresh).
  if (event.type === "snapshot") startTimes.mark("snapshot");
  if (event.type === "snapshot" && event.snapshot.open !== null) afterSelect(event.snapshot.open);
}

/** Applies the queued core events now. */
export function flushEvents(): void {
  if (timer !== null) {
    clearTimeout(timer);
    timer = null;
  }
  if (queued.length === 0) return;
  const events = queued;
  queued = [];
  dispatch({ type: "appEvents", events });
  // A shown Files panel follows its chat's files.
  const shown = state().filesOpen;
  if (shown !== null && events.some((e) => e.type === "core" && e.event.event === "filesChanged" && e.event.conversationId === shown)) {
    void loadFiles(shown);
  }
}

/** Attaches to the shell (`attach`: one already begun at load, from main.tsx) and applies the
 * first screen's data. */
export async function start(attach: typeof ipc.attach = ipc.attach): Promise<void> {
  try {
    const { session, first } = await attach(handleAppEvent);
    startTimes.mark("attached");
    dispatch({ type: "attached", session });
    for (const event of first) handleAppEvent(event);
    // What notifications (and a call ringing on the lock) may show.
    if (session.signedIn) void loadSettings();
  } catch (e) {
    dispatch({ type: "attachFailed", error: errorText(report(e)) });
  }
}

export function firstPaintDone(): void {
  if (state().firstPaintSent) return;
  dispatch({ type: "firstPaintSent" });
  void ipc.firstPaint(startTimes.pageTimes()).catch(() => undefined);
}

// ---------- session ----------

/** A command that answers who is signed in now: the store takes it; resolves to the error in
 * words, or null. */
async function sessionChange(answer: Promise<SessionInfo>): Promise<string | null> {
  try {
    dispatch({ type: "sessionChanged", session: await answer });
    return null;
  } catch (e) {
    return errorText(report(e));
  }
}

/** Resolves to the error in words, or null on success. */
export async function signIn(server: string, email: string, password: string): Promise<string | null> {
  return sessionChange(ipc.signIn(server.trim(), email.trim(), password));
}

export async function signOut(forgetCache: boolean): Promise<string | null> {
  return sessionChange(ipc.signOut(forgetCache));
}

// ---------- the lock ----------

/** Input is reported at most this often: the idle lock needs minutes, not every keystroke. */
export const INPUT_EVERY_MS = 5_000;
let lastInput = 0;

/** The nurse used the window: the idle lock is put off (throttled). */
export function reportInput(now: number = Date.now()): void {
  if (now - lastInput < INPUT_EVERY_MS) return;
  lastInput = now;
  silently(ipc.input());
}

/** Locks the window now (Ctrl+L, the Lock button). */
export function lockNow(): void {
  quietly(ipc.lockNow());
}

/** Opens the lock with a PIN or the password; resolves to the error in words, or null. */
export async function unlock(typed: string): Promise<string | null> {
  return sessionChange(ipc.unlock(typed));
}

/** Another nurse signed in on this computer comes to the front, behind their PIN. */
export async function switchNurse(userId: number): Promise<string | null> {
  return sessionChange(ipc.switchNurse(userId));
}

/** Sets (or changes) the PIN, proven by the password; the lock opens. */
export async function setPin(password: string, pin: string): Promise<string | null> {
  return sessionChange(ipc.setPin(password, pin));
}

export async function lockPolicy(): Promise<LockPolicy | null> {
  try {
    return await ipc.lockPolicy();
  } catch (e) {
    dispatch({ type: "notice", text: errorText(report(e)) });
    return null;
  }
}

/** Resolves to the policy now in force, or the error in words. */
export async function setLockMinutes(minutes: number): Promise<LockPolicy | string> {
  try {
    return await ipc.setLockMinutes(minutes);
  } catch (e) {
    return errorText(report(e));
  }
}

// ---------- conversations and threads ----------

/** Shows a chat: tells the shell, marks it read, loads its newest page (unless `load` is false). */
export function selectConversation(conversationId: number | null, load = true): void {
  if (state().settingsOpen) dispatch({ type: "settingsOpen", open: false });
  if (state().open === conversationId) {
    if (conversationId !== null) afterSelect(conversationId, false, load);
    return;
  }
  dispatch({ type: "select", conversationId });
  silently(ipc.openConversation(conversationId));
  if (conversationId !== null) afterSelect(conversationId, false, load);
}

function afterSelect(conversationId: number, tellShell = false, load = true): void {
  if (tellShell) silently(ipc.openConversation(conversationId));
  const row = state().conversations.find((c) => c.id === conversationId);
  if ((row?.unread ?? state().unread[conversationId] ?? 0) > 0) {
    silently(ipc.markRead(conversationId));
  }
  const thread = state().threads[conversationId];
  if (load && (!thread || thread.status === "error")) void loadLatest(conversationId);
}

/** The newest page (cache first, then the server). */
export async function loadLatest(conversationId: number): Promise<void> {
  const thread = state().threads[conversationId];
  if (thread && thread.status === "loading") return;
  dispatch({ type: "historyLoading", conversationId, older: false });
  try {
    const page = await ipc.history(conversationId, null, PAGE);
    dispatch({
      type: "historyLoaded",
      conversationId,
      messages: [...page].reverse(),
      reachedStart: page.length < PAGE,
      replace: true,
    });
  } catch (e) {
    dispatch({ type: "historyFailed", conversationId, error: errorText(report(e)) });
  }
}

/** The page before the oldest loaded message. */
export async function loadOlder(conversationId: number): Promise<void> {
  const thread = state().threads[conversationId];
  if (!thread || thread.status !== "ready" || thread.loadingOlder || thread.reachedStart) return;
  const oldest = thread.messages[0];
  if (!oldest) return;
  dispatch({ type: "historyLoading", conversationId, older: true });
  try {
    const page = await ipc.history(conversationId, oldest.id, PAGE);
    dispatch({
      type: "historyLoaded",
      conversationId,
      messages: [...page].reverse(),
      reachedStart: page.length < PAGE,
      replace: false,
    });
  } catch (e) {
    dispatch({ type: "historyFailed", conversationId, error: errorText(report(e)) });
  }
}

/** The view reached or left the newest message: only a followed thread trims its oldest
 * loaded messages as live ones arrive. */
export function setFollowing(conversationId: number, following: boolean): void {
  if (state().threads[conversationId]?.following === following) return;
  dispatch({ type: "following", conversationId, following });
}

/** Opens a search hit: the thread around it, highlighted. */
export async function openHit(hit: SearchHit): Promise<void> {
  const conversationId = hit.message.conversationId;
  const messageId = hit.message.id;
  dispatch({ type: "searchQuery", query: "" });
  // Not the newest page: the thread is loaded around the hit instead (a racing newest page
  // would replace it).
  selectConversation(conversationId, false);
  const thread = state().threads[conversationId];
  if (thread && thread.status === "ready" && thread.messages.some((m) => m.id === messageId)) {
    dispatch({ type: "highlight", conversationId, messageId });
    return;
  }
  if (!thread) dispatch({ type: "historyLoading", conversationId, older: false });
  try {
    const found = await ipc.around(conversationId, messageId, AROUND);
    const hitMessage = found.find((m) => m.id === messageId);
    const newer = hitMessage ? found.filter((m) => compare(m, hitMessage) > 0).length : 0;
    const older = hitMessage ? found.filter((m) => compare(m, hitMessage) < 0).length : 0;
    dispatch({
      type: "aroundLoaded",
      conversationId,
      messages: found.length ? found : [hit.message],
      highlightId: messageId,
      reachedStart: older < AROUND,
      hasNewer: newer >= AROUND,
    });
  } catch (e) {
    dispatch({ type: "historyFailed", conversationId, error: errorText(report(e)) });
  }
}

function compare(a: Message, b: Message): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id;
}

export function clearHighlight(conversationId: number): void {
  dispatch({ type: "highlight", conversationId, messageId: null });
}

export function setMuted(conversationId: number, muted: boolean): void {
  ipc
    .setMuted(conversationId, muted)
    .then(() => dispatch({ type: "mutedChanged", conversationId, muted }))
    .catch((e: unknown) => dispatch({ type: "notice", text: errorText(report(e)) }));
}

// ---------- composing ----------

export function draftTyped(conversationId: number, text: string): void {
  dispatch({ type: "draftTyped", conversationId, text });
}

export function saveDraft(conversationId: number, text: string): void {
  void ipc.setDraft(conversationId, text).catch(() => undefined);
}

export function keystroke(conversationId: number): void {
  void ipc.keystroke(conversationId).catch(() => undefined);
}

export function stopTyping(conversationId: number): void {
  void ipc.stopTyping(conversationId).catch(() => undefined);
}

/** Sends; resolves true when the message is queued (the composer then clears). */
export async function send(conversationId: number, text: string, urgent = false): Promise<boolean> {
  dispatch({ type: "composerError", conversationId, error: null });
  try {
    const item = await ipc.sendMessage(conversationId, text, urgent);
    dispatch({ type: "outboxUpsert", item });
    dispatch({ type: "draftTyped", conversationId, text: "" });
    stopTyping(conversationId);
    // A thread opened at a search hit does not hold the newest messages: go there, where the
    // message being sent shows (with its state, and Retry if it fails).
    if (state().threads[conversationId]?.hasNewer) {
      clearHighlight(conversationId);
      void loadLatest(conversationId);
    }
    return true;
  } catch (e) {
    dispatch({ type: "composerError", conversationId, error: errorText(report(e)) });
    return false;
  }
}

export function clearComposerError(conversationId: number): void {
  if (state().composerErrors[conversationId]) dispatch({ type: "composerError", conversationId, error: null });
}

export function retry(clientId: string): void {
  ipc
    .retryMessage(clientId)
    .then((item) => dispatch({ type: "outboxUpsert", item }))
    .catch((e: unknown) => dispatch({ type: "notice", text: errorText(report(e)) }));
}

export function discard(clientId: string): void {
  ipc
    .discardMessage(clientId)
    .then((gone) => {
      if (gone) dispatch({ type: "outboxRemoved", clientId });
    })
    .catch((e: unknown) => dispatch({ type: "notice", text: errorText(report(e)) }));
}

export function openLink(url: string): void {
  quietly(ipc.openLink(url));
}

export function reconnectNow(): void {
  quietly(ipc.reconnectNow());
}

// ---------- search ----------

export function setSearchQuery(query: string): void {
  dispatch({ type: "searchQuery", query });
}

/** The search running now, and the newest query typed meanwhile (those typed in between are
 * never run: the nurse has typed past them). */
let searching: Promise<void> | null = null;
let waitingQuery: string | null = null;

/** Searches as the nurse types: one search at a time, then the newest query typed meanwhile;
 * a query no longer in the box is skipped, and results for one are dropped (the reducer). */
export function runSearch(query: string): Promise<void> {
  if (query.trim().length < 2) return Promise.resolve();
  if (searching) {
    waitingQuery = query;
    return searching;
  }
  searching = (async () => {
    let next: string | null = query;
    while (next !== null) {
      const current: string = next;
      waitingQuery = null;
      if (current === state().search.query) {
        dispatch({ type: "searchLoading", query: current });
        try {
          const hits = await ipc.search(current.trim(), SEARCH_LIMIT);
          dispatch({ type: "searchResults", query: current, hits });
        } catch (e) {
          dispatch({ type: "searchFailed", query: current, error: errorText(report(e)) });
        }
      }
      next = waitingQuery;
    }
  })().finally(() => {
    searching = null;
  });
  return searching;
}

// ---------- notices and settings ----------

export function dismissNotice(id: number): void {
  dispatch({ type: "dismissNotice", id });
}

export function openSettings(open: boolean): void {
  dispatch({ type: "settingsOpen", open });
}

export async function loadSettings(): Promise<Settings | null> {
  try {
    const settings = await ipc.getSettings();
    dispatch({ type: "settingsLoaded", settings });
    return settings;
  } catch (e) {
    dispatch({ type: "notice", text: errorText(report(e)) });
    return null;
  }
}

/** Resolves to the error in words, or null when saved. */
export async function saveSettings(settings: Settings): Promise<string | null> {
  try {
    const saved = await ipc.saveSettings(settings);
    dispatch({ type: "settingsLoaded", settings: saved });
    return null;
  } catch (e) {
    return errorText(report(e));
  }
}

/** Quits the app (Ctrl+Q). */
export function quit(): void {
  quietly(ipc.quit());
}

// ---------- calls ----------

/** Calls the other side of a chat (one click from its header). */
export function startCall(conversationId: number): void {
  quietly(ipc.startCall(conversationId));
}

/** Answers a ringing call (a call the user is in is hung up: the banner asked first). */
export function acceptCall(roomName: string): void {
  quietly(ipc.acceptCall(roomName));
}

export function rejectCall(callId: number): void {
  quietly(ipc.rejectCall(callId));
}

export function hangUp(callId: number): void {
  quietly(ipc.hangUp(callId));
}

export function rejoinCall(): void {
  quietly(ipc.rejoinCall());
}

/** Loads a chat's calls (newest first) into the store. */
export async function loadCallHistory(conversationId: number): Promise<void> {
  try {
    const calls = await ipc.callHistory(conversationId);
    dispatch({ type: "callHistoryLoaded", conversationId, calls });
  } catch (e) {
    dispatch({ type: "notice", text: errorText(report(e)) });
  }
}

/** Shows (or hides, with null) a chat's call history. */
export function showCallHistory(conversationId: number | null): void {
  dispatch({ type: "callHistoryOpen", conversationId });
  if (conversationId !== null) void loadCallHistory(conversationId);
}

// ---------- files ----------

let transferCount = 0;
function transferId(): string {
  transferCount += 1;
  return `t${Date.now()}-${transferCount}`;
}

/** The last part of a path, whichever separator it uses. */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** Loads a chat's files (newest first) into the store. */
export async function loadFiles(conversationId: number): Promise<void> {
  try {
    const files = await ipc.files(conversationId);
    dispatch({ type: "filesLoaded", conversationId, files });
  } catch (e) {
    dispatch({ type: "notice", text: errorText(report(e)) });
  }
}

/** Shows (or hides, with null) a chat's Files panel. */
export function showFiles(conversationId: number | null): void {
  dispatch({ type: "filesOpen", conversationId });
  if (conversationId !== null) void loadFiles(conversationId);
}

/** The system's picker, then each file chosen is shared in the chat. */
export async function attachFiles(conversationId: number): Promise<void> {
  let paths: string[];
  try {
    paths = await ipc.chooseFiles();
  } catch (e) {
    dispatch({ type: "notice", text: errorText(report(e)) });
    return;
  }
  for (const path of paths) void uploadPath(conversationId, path);
}

/** Files dropped on the window go to the chat on screen. */
function dropped(paths: string[]): void {
  const open = state().open;
  if (open === null) {
    dispatch({ type: "notice", text: "Open a chat first, then drop the files on it to share them there." });
    return;
  }
  for (const path of paths) void uploadPath(open, path);
}

/** Shares one file, its progress shown until it is done (or failed, with why). */
export async function uploadPath(conversationId: number, path: string): Promise<void> {
  const id = transferId();
  dispatch({ type: "transferStarted", transfer: { id, conversationId, kind: "upload", name: baseName(path), done: 0, total: 0, error: null } });
  try {
    await ipc.uploadFile(conversationId, path, id, (p) => dispatch({ type: "transferProgress", id, done: p.done, total: p.total }));
    dispatch({ type: "transferEnded", id });
    if (state().filesOpen === conversationId) void loadFiles(conversationId);
  } catch (e) {
    dispatch({ type: "transferFailed", id, error: errorText(report(e)) });
  }
}

/** Opens a file: saved into Downloads (fetched first unless kept here), then the system's
 * viewer; a kind NurseCare does not open is only saved, and said so. */
export async function openFile(conversationId: number, fileId: number, name: string): Promise<void> {
  const id = transferId();
  dispatch({ type: "transferStarted", transfer: { id, conversationId, kind: "open", name, done: 0, total: 0, error: null } });
  try {
    const saved = await ipc.openFile(fileId, id, (p) => dispatch({ type: "transferProgress", id, done: p.done, total: p.total }));
    dispatch({ type: "transferEnded", id });
    if (saved && !saved.openable) {
      dispatch({ type: "notice", text: `Saved to ${saved.path}. NurseCare does not open this kind of file.` });
    }
  } catch (e) {
    dispatch({ type: "transferFailed", id, error: errorText(report(e)) });
  }
}

/** Stops an upload or an open; a failed one is just dismissed. */
export function cancelTransfer(id: string): void {
  const t = state().transfers.find((x) => x.id === id);
  dispatch({ type: "transferEnded", id });
  if (t && t.error === null) silently(ipc.cancelTransfer(id));
}

const thumbnailsAsked = new Set<number>();

/** Fetches a photo's thumbnail once (a photo the panel shows). A failure leaves its icon. */
export async function loadThumbnail(fileId: number, mimetype: string): Promise<void> {
  if (thumbnailsAsked.has(fileId)) return;
  thumbnailsAsked.add(fileId);
  try {
    const bytes = await ipc.fileThumbnail(fileId);
    const url = URL.createObjectURL(new Blob([bytes], { type: mimetype }));
    dispatch({ type: "thumbnailLoaded", fileId, url });
  } catch (e) {
    console.warn("NurseCare: no thumbnail:", report(e).kind);
  }
}

/** Deletes a file the user shared. */
export function deleteFile(conversationId: number, fileId: number): void {
  quietly(
    ipc.deleteFile(fileId).then(() => {
      if (state().filesOpen === conversationId) void loadFiles(conversationId);
    }),
  );
}
