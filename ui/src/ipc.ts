// The one place that talks to the Tauri shell. Every command is a wrapper here, typed by the
// generated `bindings/commands.ts` (argument names and types, answers);
// components never call these directly, only store actions do.
// Commands reject with an ErrorReport ({kind, message, ...}); `asErrorReport` normalises
// anything else (a shell panic string, a missing command) into one.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { Commands } from "./bindings/commands";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { FeedNotice } from "./bindings/FeedNotice";
import type { PageTimes } from "./bindings/PageTimes";
import type { TransferProgress } from "./bindings/TransferProgress";
import type { Settings } from "./bindings/Settings";
import type { AppEvent, SessionInfo } from "./shell";

/** A command's rejection, whatever the shell sent. */
export function asErrorReport(e: unknown): ErrorReport {
  if (e && typeof e === "object" && "kind" in e && typeof (e as { kind: unknown }).kind === "string") {
    const r = e as { kind: string; message?: unknown };
    return { ...r, message: typeof r.message === "string" ? r.message : "" } as ErrorReport;
  }
  const message = typeof e === "string" ? e : e instanceof Error ? e.message : "Something went wrong.";
  // An unknown kind: text.ts falls back to the message.
  return { kind: "unexpectedAnswer", message } as ErrorReport;
}

type Name = keyof Commands;
type Args<K extends Name> = Commands[K]["args"];
type Answer<K extends Name> = Commands[K]["answer"];

/** Calls a command with the arguments and answer its generated signature gives. */
async function call<K extends Name>(cmd: K, ...rest: Args<K> extends Record<string, never> ? [] : [Args<K>]): Promise<Answer<K>> {
  try {
    return await invoke<Answer<K>>(cmd, rest[0]);
  } catch (e) {
    throw asErrorReport(e);
  }
}

/** While the shell has more, the page pulls again after a gap that grows with what the last
 * pull brought: a frame after a few events, up to a quarter of a second in a flood. Each pull
 * is a render of the list and the thread, and each render leaves the web process a little
 * bigger (measured: about 0.3 MB, `PARTS=flood scripts/measure-app.sh`), so a flood of 500
 * messages a second costs four renders a second, not sixty. A message that comes alone is
 * still pulled at once on its notice. */
export const PULL_GAP_MS = 16;
export const PULL_GAP_MAX_MS = 250;
function pullGap(pulled: AppEvent[]): number {
  // A batch counts for each of its events: a flood comes as batches.
  const events = pulled.reduce((n, e) => n + (e.type === "coreBatch" ? e.events.length : 1), 0);
  return Math.min(PULL_GAP_MAX_MS, Math.max(PULL_GAP_MS, events * 4));
}
const PULL_RETRY_MS = 1000;

/** Opens the event feed. The shell answers who is signed in and the feed's first items (the
 * snapshot, when signed in: the first screen's data comes with the answer), which the caller
 * applies at once; `onEvent` then gets every later AppEvent in order. The shell's channel only
 * says there is something to pull (each channel message is a script the webview keeps memory
 * for); the events come as the bytes of an answer. The page pulls until nothing is left, then
 * waits for the next notice. */
export async function attach(onEvent: (event: AppEvent) => void): Promise<{ session: SessionInfo; first: AppEvent[] }> {
  const notices = new Channel<FeedNotice>();
  const decoder = new TextDecoder();
  let pulling = false;
  let again = false;
  const pull = async (feed: number) => {
    if (pulling) {
      again = true;
      return;
    }
    pulling = true;
    try {
      await pullAll(feed);
    } finally {
      pulling = false;
    }
  };
  const pullAll = async (feed: number) => {
    for (;;) {
      again = false;
      let events: AppEvent[];
      try {
        events = JSON.parse(decoder.decode(await call("pull_events", { feed }))) as AppEvent[];
      } catch (e) {
        // The shell keeps what was not pulled: try again a little later.
        const r = asErrorReport(e);
        console.warn("NurseCare: the window's events could not be pulled", r.kind, r.message);
        await new Promise((r) => setTimeout(r, PULL_RETRY_MS));
        continue;
      }
      for (const e of events) onEvent(e);
      if (events.length === 0 && !again) break;
      await new Promise((r) => setTimeout(r, pullGap(events)));
    }
  };
  notices.onmessage = (n) => void pull(n.feed);
  const answer = await call("attach", { events: notices });
  // Pulled once by the page itself: the shell tells it only after a pull found nothing. (Its
  // answer comes after the caller has applied `first`.)
  void pull(answer.feed);
  return { session: answer.session, first: answer.first };
}

export const signIn = (server: string, email: string, password: string) => call("sign_in", { server, email, password });
export const signOut = (forgetCache: boolean) => call("sign_out", { forgetCache });
export const conversations = () => call("conversations");
export const openConversation = (conversationId: number | null) => call("open_conversation", { conversationId });
/** Newest first, older than message `before`. */
export const history = (conversationId: number, before: number | null, limit: number) =>
  call("history", { conversationId, before, limit });
/** Newest first: the message and `count` on each side. */
export const around = (conversationId: number, messageId: number, count: number) =>
  call("around", { conversationId, messageId, count });
export const markRead = (conversationId: number) => call("mark_read", { conversationId });
export const setDraft = (conversationId: number, text: string) => call("set_draft", { conversationId, text });
export const setMuted = (conversationId: number, muted: boolean) => call("set_muted", { conversationId, muted });
export const sendMessage = (conversationId: number, text: string, urgent = false) =>
  call("send_message", { conversationId, text, urgent });
export const retryMessage = (clientId: string) => call("retry_message", { clientId });
export const discardMessage = (clientId: string) => call("discard_message", { clientId });
export const keystroke = (conversationId: number) => call("keystroke", { conversationId });
export const stopTyping = (conversationId: number) => call("stop_typing", { conversationId });
export const search = (query: string, limit: number) => call("search", { query, limit });
export const getSettings = () => call("get_settings");
export const saveSettings = (settings: Settings) => call("save_settings", { settings });
export const reconnectNow = () => call("reconnect_now");
export const openLink = (url: string) => call("open_link", { url });
export const firstPaint = (page: PageTimes) => call("first_paint", { page });
export const quit = () => call("quit");
export const lockNow = () => call("lock_now");
export const input = () => call("input");
export const unlock = (typed: string) => call("unlock", { typed });
export const switchNurse = (userId: number) => call("switch_nurse", { userId });
export const setPin = (password: string, pin: string) => call("set_pin", { password, pin });
export const lockPolicy = () => call("lock_policy");
export const setLockMinutes = (minutes: number) => call("set_lock_minutes", { minutes });
export const startCall = (conversationId: number) => call("start_call", { conversationId });
export const acceptCall = (roomName: string) => call("accept_call", { roomName });
export const rejectCall = (callId: number) => call("reject_call", { callId });
export const hangUp = (callId: number) => call("hang_up", { callId });
export const rejoinCall = () => call("rejoin_call");
export const callHistory = (conversationId: number) => call("call_history", { conversationId });
export const files = (conversationId: number) => call("files", { conversationId });
export const chooseFiles = () => call("choose_files");
export const deleteFile = (fileId: number) => call("delete_file", { fileId });
/** A photo's bytes, for its thumbnail. */
export const fileThumbnail = (fileId: number) => call("file_thumbnail", { fileId });
export const cancelTransfer = (transferId: string) => call("cancel_transfer", { transferId });

function progressChannel(onProgress: (p: TransferProgress) => void): Channel<TransferProgress> {
  const progress = new Channel<TransferProgress>();
  progress.onmessage = onProgress;
  return progress;
}

/** Shares a file from this computer; null when it was cancelled. */
export const uploadFile = (conversationId: number, path: string, transferId: string, onProgress: (p: TransferProgress) => void) =>
  call("upload_file", { conversationId, path, transferId, progress: progressChannel(onProgress) });
/** Saves a copy into Downloads and has the system open it; null when it was cancelled. */
export const openFile = (fileId: number, transferId: string, onProgress: (p: TransferProgress) => void) =>
  call("open_file", { fileId, transferId, progress: progressChannel(onProgress) });
