// The one place that talks to the Tauri shell. Every command is a typed wrapper here;
// components never call these directly, only store actions do.
// Commands reject with an ErrorReport ({kind, message, ...}); `asErrorReport` normalises
// anything else (a shell panic string, a missing command) into one.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { ConversationSummary } from "./bindings/ConversationSummary";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { Message } from "./bindings/Message";
import type { OutboxItem } from "./bindings/OutboxItem";
import type { SearchHit } from "./bindings/SearchHit";
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

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asErrorReport(e);
  }
}

/** Opens the event stream; the shell answers who is signed in and then streams AppEvents. */
export function attach(onEvent: (event: AppEvent) => void): Promise<SessionInfo> {
  const events = new Channel<AppEvent>();
  events.onmessage = onEvent;
  return call<SessionInfo>("attach", { events });
}

export const signIn = (server: string, email: string, password: string) =>
  call<SessionInfo>("sign_in", { server, email, password });
export const signOut = (forgetCache: boolean) => call<SessionInfo>("sign_out", { forgetCache });
export const conversations = () => call<ConversationSummary[]>("conversations");
export const openConversation = (conversationId: number | null) =>
  call<null>("open_conversation", { conversationId });
/** Newest first, older than message `before`. */
export const history = (conversationId: number, before: number | null, limit: number) =>
  call<Message[]>("history", { conversationId, before, limit });
/** Newest first: the message and `count` on each side. */
export const around = (conversationId: number, messageId: number, count: number) =>
  call<Message[]>("around", { conversationId, messageId, count });
export const markRead = (conversationId: number) => call<number>("mark_read", { conversationId });
export const setDraft = (conversationId: number, text: string) =>
  call<null>("set_draft", { conversationId, text });
export const setMuted = (conversationId: number, muted: boolean) =>
  call<null>("set_muted", { conversationId, muted });
export const sendMessage = (conversationId: number, text: string) =>
  call<OutboxItem>("send_message", { conversationId, text });
export const retryMessage = (clientId: string) => call<OutboxItem>("retry_message", { clientId });
export const discardMessage = (clientId: string) => call<boolean>("discard_message", { clientId });
export const keystroke = (conversationId: number) => call<null>("keystroke", { conversationId });
export const stopTyping = (conversationId: number) => call<null>("stop_typing", { conversationId });
export const search = (query: string, limit: number) => call<SearchHit[]>("search", { query, limit });
export const getSettings = () => call<Settings>("get_settings");
export const saveSettings = (settings: Settings) => call<Settings>("save_settings", { settings });
export const reconnectNow = () => call<null>("reconnect_now");
export const openLink = (url: string) => call<null>("open_link", { url });
export const firstPaint = () => call<null>("first_paint");
export const quit = () => call<null>("quit");
