// Generated from src-tauri/src/commands/catalogue.rs by src-tauri/tests/bindings.rs. Do not edit.
import type { Channel } from "@tauri-apps/api/core";
import type { AppEvent } from "./AppEvent";
import type { CallNow } from "./CallNow";
import type { ConversationSummary } from "./ConversationSummary";
import type { Message } from "./Message";
import type { OutboxItem } from "./OutboxItem";
import type { SearchHit } from "./SearchHit";
import type { SessionInfo } from "./SessionInfo";
import type { Settings } from "./Settings";
import type { VideoCall } from "./VideoCall";

/** Every command the window may call: its arguments and its answer. */
export type Commands = {
  attach: { args: { events: Channel<AppEvent> }; answer: SessionInfo };
  sign_in: { args: { server: string; email: string; password: string }; answer: SessionInfo };
  sign_out: { args: { forgetCache: boolean }; answer: SessionInfo };
  reconnect_now: { args: Record<string, never>; answer: null };
  first_paint: { args: Record<string, never>; answer: null };
  quit: { args: Record<string, never>; answer: null };
  conversations: { args: Record<string, never>; answer: Array<ConversationSummary> };
  open_conversation: { args: { conversationId: number | null }; answer: null };
  history: { args: { conversationId: number; before: number | null; limit: number }; answer: Array<Message> };
  around: { args: { conversationId: number; messageId: number; count: number }; answer: Array<Message> };
  mark_read: { args: { conversationId: number }; answer: number };
  set_draft: { args: { conversationId: number; text: string }; answer: null };
  set_muted: { args: { conversationId: number; muted: boolean }; answer: null };
  send_message: { args: { conversationId: number; text: string }; answer: OutboxItem };
  retry_message: { args: { clientId: string }; answer: OutboxItem };
  discard_message: { args: { clientId: string }; answer: boolean };
  keystroke: { args: { conversationId: number }; answer: null };
  stop_typing: { args: { conversationId: number }; answer: null };
  search: { args: { query: string; limit: number }; answer: Array<SearchHit> };
  open_link: { args: { url: string }; answer: null };
  start_call: { args: { conversationId: number }; answer: CallNow | null };
  accept_call: { args: { roomName: string }; answer: CallNow | null };
  reject_call: { args: { callId: number }; answer: null };
  hang_up: { args: { callId: number }; answer: null };
  rejoin_call: { args: Record<string, never>; answer: CallNow | null };
  call_history: { args: { conversationId: number }; answer: Array<VideoCall> };
  get_settings: { args: Record<string, never>; answer: Settings };
  save_settings: { args: { settings: Settings }; answer: Settings };
};
