// All wording the UI shows for data: SYSTEM notices, previews, error kinds, times,
// connection states. One place, so the words stay consistent and testable.
import type { ConversationSummary } from "./bindings/ConversationSummary";
import type { Connection } from "./bindings/Connection";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { Message } from "./bindings/Message";
import type { Phase } from "./bindings/Phase";
import type { Role } from "./bindings/Role";
import { NOTICE_WORDS } from "./bindings/noticeWords";

// ---------- SYSTEM messages (call notices) ----------

// The words come from the Rust table the CLI uses too (generated).
const SYSTEM_WORDS = NOTICE_WORDS;

/** A SYSTEM message's content in words: `VIDEO_CALL_ENDED:1m 5s` → "Video call ended · 1m 5s". */
export function systemNotice(content: string): string {
  const colon = content.indexOf(":");
  const code = (colon === -1 ? content : content.slice(0, colon)).trim();
  const detail = colon === -1 ? "" : content.slice(colon + 1).trim();
  const words = SYSTEM_WORDS[code];
  if (!words) return content;
  if (code === "VIDEO_CALL_ENDED" && detail) return `${words} · ${detail}`;
  return words;
}

/** A message as one line of text (list previews, search results, notifications). */
export function messageSummary(message: Pick<Message, "type" | "content">): string {
  switch (message.type) {
    case "SYSTEM":
      return systemNotice(message.content);
    case "IMAGE":
      return "Photo";
    case "FILE":
      return "File";
    default:
      return message.content;
  }
}

/** The conversation list's second line: the draft first, else the newest message. */
export function conversationPreview(summary: ConversationSummary, me: number | null): string {
  if (summary.draft && summary.draft.trim()) return `Draft: ${oneLine(summary.draft)}`;
  const file = summary.lastFile;
  if (file) {
    // Who and what kind, never the file's name (a name can say as much as a message).
    const what = file.image ? "a photo" : "a file";
    if (me !== null && file.uploadedBy === me) return `You sent ${what}`;
    return file.uploadedBy === summary.other?.id ? `${displayName(summary.other)} sent ${what}` : `New ${file.image ? "photo" : "file"}`;
  }
  const last = summary.lastMessage;
  if (!last) return "No messages yet";
  const text = oneLine(messageSummary(last));
  return last.type !== "SYSTEM" && me !== null && last.senderId === me ? `You: ${text}` : text;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** The label of an attachment placeholder in a thread. */
export function attachmentLabel(message: Pick<Message, "type" | "content">): string {
  return message.type === "IMAGE" ? `Photo: ${message.content}` : `File: ${message.content}`;
}

// ---------- people ----------

export function roleLabel(role: Role | null | undefined): string {
  switch (role) {
    case "NURSE":
      return "Nurse";
    case "PATIENT":
      return "Patient";
    case "ADMIN":
      return "Admin";
    default:
      return "";
  }
}

export function displayName(other: { name: string | null; email?: string } | null | undefined): string {
  if (!other) return "Unknown contact";
  return other.name?.trim() || other.email || "Unknown contact";
}

export function typingText(name: string): string {
  return `${name} is typing…`;
}

export function unreadLabel(count: number): string {
  return count === 1 ? "1 unread" : `${count} unread`;
}

// ---------- errors ----------

export const UNREACHABLE_TEXT =
  "The server is unreachable or still waking up. Check the address and your connection, then try again.";

/** An ErrorReport in words for the user, by kind; the report's own sentence otherwise. */
export function errorText(report: ErrorReport): string {
  switch (report.kind) {
    case "invalidCredentials":
      return "Wrong email or password.";
    case "rateLimited":
      return report.retryAfterSecs != null
        ? `Too many attempts. Try again in ${report.retryAfterSecs} s.`
        : "Too many attempts. Try again in a moment.";
    case "busy":
      return report.retryAfterSecs != null
        ? `The server is busy. Try again in ${report.retryAfterSecs} s.`
        : "The server is busy. Try again in a moment.";
    case "unreachable":
    case "timeout":
      return UNREACHABLE_TEXT;
    case "offline":
      return "Not connected to NurseCare. Check your connection, then try again.";
    case "keychainUnavailable":
    case "keychainLocked":
      return "No keychain answered, so NurseCare cannot keep you signed in safely. Unlock your keychain, or install one (for example GNOME Keyring), then try again.";
    case "badServerAddress":
      return "That server address is not valid. Use a full address such as https://nursecare.example.org.";
    case "insecureServer":
      return "That address starts with http://, which would send your password unencrypted. Use the server's https:// address (plain http is only for a server on this computer).";
    case "sessionExpired":
      return SESSION_EXPIRED_TEXT;
    case "notSignedIn":
      return "You are signed out. Sign in again.";
    case "emptyMessage":
      return "Type a message first.";
    case "tooLong":
      return `This message is too long: ${report.chars} characters, at most ${report.max}.`;
    case "unknownConversation":
      return "This conversation is not available on this account.";
    case "fileTooLarge":
      return "This file is larger than the server takes.";
    case "fileRefused":
      return "This kind of file cannot be shared. Photos, PDF, plain text, and Word, Excel, PowerPoint or OpenDocument files can.";
    case "fileIo":
      return "The file could not be read or saved on this computer.";
    case "notOpenable":
      return report.message || "NurseCare does not open this kind of file.";
    case "signedOutByAdmin":
      return SIGNED_OUT_BY_ADMIN_TEXT;
    case "locked":
      return "NurseCare is locked. Unlock it with your PIN or password.";
    case "wrongSecret":
      return report.left === 1
        ? "Wrong PIN or password. One try left before you are signed out."
        : `Wrong PIN or password. ${report.left} tries left before you are signed out.`;
    case "tooManyTries":
      return TOO_MANY_TRIES_TEXT;
    case "wrongPassword":
      return "Wrong password.";
    case "pinRule":
      return "A PIN is 6 or more digits, and digits only.";
    case "tooManyAccounts":
      return `${report.max} nurses are signed in on this computer already, the most it keeps. One of them signs out first (Switch nurse, then their Sign out).`;
    case "vaultDamaged":
      return "The sign-in kept on this computer cannot be read. Sign in again.";
    case "cacheInUse":
      return "NurseCare is already open for this account in another program. Close it, then try again.";
    default:
      return report.message || "Something went wrong.";
  }
}

/** Another nurse's count as the lock screen shows it: a number, never who wrote. */
export function otherNurseText(unread: number | null): string {
  if (unread === null) return "PIN needed to receive messages";
  if (unread === 0) return "no new messages";
  return unread === 1 ? "1 new message" : `${unread} new messages`;
}

export const SESSION_EXPIRED_TEXT = "Your session expired. Sign in again.";
export const SIGNED_OUT_BY_ADMIN_TEXT = "An administrator signed you out of NurseCare. Sign in again.";
export const TOO_MANY_TRIES_TEXT =
  "Too many wrong tries: you were signed out. Sign in again with your password; messages waiting to be sent are kept.";
export const CACHE_REBUILT_TEXT =
  "Your saved messages could not be read and were set aside; they are being fetched again.";

// ---------- connection ----------

export function connectionText(state: Connection, outbox: number): string | null {
  switch (state) {
    case "offline": {
      const waiting = outbox > 0 ? ` · ${outbox === 1 ? "1 message" : `${outbox} messages`} waiting` : "";
      // "Not connected", never "offline": that word is kept for no one, so the banner (this
      // app's link) and a person's presence line ("Away") cannot be read as each other.
      return `Not connected to NurseCare — showing saved messages${waiting}`;
    }
    case "connecting":
      return "Reconnecting…";
    case "signedOut":
      return "Signed out: your session expired.";
    case "online":
      return outbox > 0 ? `Sending ${outbox === 1 ? "1 message" : `${outbox} messages`}…` : null;
  }
}

// ---------- times ----------

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Whole local days between two instants (0 = same day). */
export function daysBetween(earlier: Date, later: Date): number {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY_MS);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "long", year: "numeric" });
const shortDateFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const weekdayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long" });

/** "05:25 PM" (the system's clock style). */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : timeFormat.format(d);
}

/** A day separator: "Today", "Yesterday", a weekday within the week, else the date. */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const days = daysBetween(d, now);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return weekdayFormat.format(d);
  return dateFormat.format(d);
}

/** The list's time column: the time today, "Yesterday", else a short date. */
export function listTime(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const days = daysBetween(d, now);
  if (days === 0) return formatTime(iso);
  if (days === 1) return "Yesterday";
  return shortDateFormat.format(d);
}

/** A search hit's date and time. */
export function hitDate(iso: string, now: Date = new Date()): string {
  const day = dayLabel(iso, now);
  return day ? `${day}, ${formatTime(iso)}` : "";
}

/** The thread header's presence line. */
export function presenceText(presence: { online: boolean; lastSeen: string | null } | undefined, now: Date = new Date()): string {
  if (!presence) return "";
  if (presence.online) return "Online";
  if (!presence.lastSeen) return "Away";
  const seen = new Date(presence.lastSeen);
  if (Number.isNaN(seen.getTime())) return "Away";
  const minutes = Math.floor((now.getTime() - seen.getTime()) / 60000);
  if (minutes < 1) return "Last seen just now";
  if (minutes < 60) return `Last seen ${minutes} min ago`;
  const days = daysBetween(seen, now);
  if (days === 0) return `Last seen today at ${formatTime(presence.lastSeen)}`;
  if (days === 1) return `Last seen yesterday at ${formatTime(presence.lastSeen)}`;
  return `Last seen ${shortDateFormat.format(seen)}`;
}

// ---------- calls ----------

/** A call's length as a clock: "0:07", "12:05", "1:02:03". */
export function callClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The user's call in one line: what the call bar says. */
export function callStatusText(phase: Phase, name: string, seconds: number | null): string {
  switch (phase) {
    case "ringingOut":
      return `Calling ${name}…`;
    case "inCall":
      return seconds === null ? `In call with ${name}` : `In call with ${name} · ${callClock(seconds)}`;
    case "rejoin":
      return `Your call with ${name} is still going`;
    case "hangingUp":
      return `You left the call with ${name} · it ends for ${name} as soon as the server can be reached`;
  }
}

/** One call of a chat's history, in words. */
export function callHistoryText(outgoing: boolean, status: "ONGOING" | "ENDED" | "MISSED", duration: number | null): string {
  const dir = outgoing ? "Outgoing call" : "Incoming call";
  switch (status) {
    case "ONGOING":
      return `${dir} · ongoing`;
    case "MISSED":
      return outgoing ? `${dir} · not answered` : `${dir} · missed`;
    case "ENDED":
      return duration === null ? `${dir} · ended` : `${dir} · ${callClock(duration)}`;
  }
}

/** Embedded meet.jit.si ends a meeting after five minutes: said wherever it is the domain. */
export const PUBLIC_JITSI_LIMIT = "Calls on the public meet.jit.si end after 5 minutes when embedded; a clinic's own Jitsi (or JaaS) has no such limit.";

// ---------- files ----------

/** A file's size for people: "820 B", "52 KB", "3.4 MB". */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Who shared a file. */
export function fileByline(uploader: { name: string | null; email: string } | undefined, mine: boolean): string {
  if (mine) return "you";
  return uploader ? displayName(uploader) : "someone";
}

/** A transfer in words: "Sending wound.jpg…", "Opening plan.pdf…". */
export function transferText(t: { kind: "upload" | "open"; name: string; error: string | null }): string {
  if (t.error) return t.kind === "upload" ? `${t.name} was not sent` : `${t.name} did not open`;
  return t.kind === "upload" ? `Sending ${t.name}…` : `Opening ${t.name}…`;
}
