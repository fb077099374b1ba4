// The store's shape: everything the UI shows, fed by the shell's event stream (snapshot,
// core events, session) and by command results. Nothing else holds server state.
import type { ChatFile } from "../bindings/ChatFile";
import type { CallNow } from "../bindings/CallNow";
import type { ConnectionNow } from "../bindings/ConnectionNow";
import type { ConversationSummary } from "../bindings/ConversationSummary";
import type { Event } from "../bindings/Event";
import type { Message } from "../bindings/Message";
import type { OutboxItem } from "../bindings/OutboxItem";
import type { RingingNow } from "../bindings/RingingNow";
import type { SearchHit } from "../bindings/SearchHit";
import type { Settings } from "../bindings/Settings";
import type { VideoCall } from "../bindings/VideoCall";
import type { SessionInfo } from "../shell";

/** One loaded chat. `messages` is sorted by createdAt, then id; ids are unique. */
export type Thread = {
  messages: Message[];
  status: "loading" | "ready" | "error";
  error: string | null;
  loadingOlder: boolean;
  /** The oldest message is loaded: no more pages above. */
  reachedStart: boolean;
  /** Opened around a search hit: newer messages than the loaded ones exist. */
  hasNewer: boolean;
  /** The search hit to show highlighted. */
  highlightId: number | null;
  /** Where the "New messages" marker sits (the first unread when the chat was opened). */
  unreadMarkerId: number | null;
  /** The view is at the newest message: live messages may push the oldest loaded ones out
   * (they stay in the cache and come back as pages on the way up). */
  following: boolean;
};

/** A followed thread keeps at most LIVE_MAX messages, trimmed to the newest LIVE_KEEP: a chat
 * left open all shift holds a few hundred messages in memory, not everything that arrived. */
export const LIVE_KEEP = 300;
export const LIVE_MAX = 600;

export type Presence = { online: boolean; lastSeen: string | null };

export type Notice = { id: number; text: string };

export type SearchState = {
  query: string;
  status: "idle" | "loading" | "ready" | "error";
  hits: SearchHit[];
  error: string | null;
};

export type CallEvent = Extract<Event, { event: "call" }>;

export type State = {
  /** Start-up: "attaching" until attach answers. */
  phase: "attaching" | "ready" | "failed";
  attachError: string | null;
  session: SessionInfo | null;
  /** A snapshot has arrived for the current session (the list is real, not empty-by-default). */
  hasSnapshot: boolean;
  me: number | null;
  connection: ConnectionNow;
  /** Most recent first (updatedAt desc). */
  conversations: ConversationSummary[];
  unread: Record<number, number>;
  unreadTotal: number;
  /** Unsent rows (and sent ones until their message shows), by clientId. */
  outbox: Record<string, OutboxItem>;
  /** conversationId → user ids typing there (never me). */
  typing: Record<number, number[]>;
  presence: Record<number, Presence>;
  ringing: RingingNow[];
  calls: CallEvent[];
  /** The user's call on this device (ringing out, in call, or offered for rejoining). */
  myCall: CallNow | null;
  /** Each chat's calls, newest first, as last loaded. */
  callHistory: Record<number, VideoCall[]>;
  /** The chat whose call history is shown. */
  historyOpen: number | null;
  /** Each chat's files, newest first, as last loaded. */
  files: Record<number, ChatFile[]>;
  /** The chat whose Files panel is shown. */
  filesOpen: number | null;
  /** Uploads and opens in progress (and those that failed, until dismissed). */
  transfers: Transfer[];
  /** Photos' thumbnails: object URLs of their bytes, by file id. */
  thumbnails: Record<number, string>;
  /** The chat on screen. */
  open: number | null;
  /** Unread count of each chat when it was last opened (for the marker). */
  unreadAtOpen: Record<number, number>;
  threads: Record<number, Thread>;
  /** Drafts typed in this window (newer than the list rows' `draft`). */
  drafts: Record<number, string>;
  composerErrors: Record<number, string>;
  search: SearchState;
  notices: Notice[];
  nextNoticeId: number;
  settingsOpen: boolean;
  settings: Settings | null;
  firstPaintSent: boolean;
};

/** A file on its way: shared from this computer, or fetched to be opened. */
export type Transfer = {
  id: string;
  conversationId: number;
  kind: "upload" | "open";
  name: string;
  done: number;
  total: number;
  /** Why it failed, in words; null while it runs. */
  error: string | null;
};

export const emptySearch: SearchState = { query: "", status: "idle", hits: [], error: null };

export const initialState: State = {
  phase: "attaching",
  attachError: null,
  session: null,
  hasSnapshot: false,
  me: null,
  connection: { state: "connecting", outbox: 0, retryInMs: null, urgent: false },
  conversations: [],
  unread: {},
  unreadTotal: 0,
  outbox: {},
  typing: {},
  presence: {},
  ringing: [],
  calls: [],
  myCall: null,
  callHistory: {},
  historyOpen: null,
  files: {},
  filesOpen: null,
  transfers: [],
  thumbnails: {},
  open: null,
  unreadAtOpen: {},
  threads: {},
  drafts: {},
  composerErrors: {},
  search: emptySearch,
  notices: [],
  nextNoticeId: 1,
  settingsOpen: false,
  settings: null,
  firstPaintSent: false,
};
