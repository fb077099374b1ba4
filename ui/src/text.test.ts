import { describe, expect, it } from "vitest";
import type { ErrorReport } from "./bindings/ErrorReport";
import {
  connectionText,
  conversationPreview,
  dayLabel,
  errorText,
  messageSummary,
  presenceText,
  systemNotice,
  UNREACHABLE_TEXT,
} from "./text";
import { JANE, ME, msg, summary } from "./test-fixtures";

describe("SYSTEM notices", () => {
  it("says each call notice in words", () => {
    expect(systemNotice("VIDEO_CALL_STARTED")).toBe("Video call started");
    expect(systemNotice("VIDEO_CALL_JOINED")).toBe("Joined the video call");
    expect(systemNotice("VIDEO_CALL_REJECTED")).toBe("Video call declined");
    expect(systemNotice("VIDEO_CALL_MISSED")).toBe("Missed video call");
  });

  it("keeps an ended call's duration, in any of the server's forms", () => {
    expect(systemNotice("VIDEO_CALL_ENDED:1m 5s")).toBe("Video call ended · 1m 5s");
    expect(systemNotice("VIDEO_CALL_ENDED:42s")).toBe("Video call ended · 42s");
    expect(systemNotice("VIDEO_CALL_ENDED:75m 3s")).toBe("Video call ended · 75m 3s");
    expect(systemNotice("VIDEO_CALL_ENDED")).toBe("Video call ended");
  });

  it("shows an unknown notice as it is", () => {
    expect(systemNotice("SOMETHING_NEW")).toBe("SOMETHING_NEW");
  });

  it("summarises attachments and notices for previews", () => {
    expect(messageSummary(msg(1, { type: "IMAGE", content: "x.png" }))).toBe("Photo");
    expect(messageSummary(msg(1, { type: "FILE", content: "a.pdf" }))).toBe("File");
    expect(messageSummary(msg(1, { type: "SYSTEM", content: "VIDEO_CALL_MISSED" }))).toBe("Missed video call");
  });

  it("previews a file newer than the last message by who sent it, never its name", () => {
    const file = { uploadedBy: JANE, image: true, createdAt: "2026-12-07T10:00:00.000Z" };
    expect(conversationPreview(summary(10, { lastFile: file }), ME)).toBe("Jane Doe sent a photo");
    expect(conversationPreview(summary(10, { lastFile: { ...file, image: false, uploadedBy: ME } }), ME)).toBe("You sent a file");
    expect(conversationPreview(summary(10, { lastFile: file, draft: "half" }), ME)).toBe("Draft: half");
  });

  it("previews a draft first, then the last message", () => {
    const last = msg(5, { content: "Took the tablets" });
    expect(conversationPreview(summary(10, { lastMessage: last }), ME)).toBe("Took the tablets");
    expect(conversationPreview(summary(10, { lastMessage: msg(5, { senderId: ME, content: "ok" }) }), ME)).toBe("You: ok");
    expect(conversationPreview(summary(10, { lastMessage: last, draft: "half\nwritten" }), ME)).toBe("Draft: half written");
    expect(conversationPreview(summary(10, { lastMessage: msg(6, { type: "SYSTEM", content: "VIDEO_CALL_ENDED:2m 50s" }) }), ME)).toBe(
      "Video call ended · 2m 50s",
    );
  });
});

describe("errors in words", () => {
  const r = (x: object) => ({ message: "fallback sentence", ...x }) as ErrorReport;

  it("by kind", () => {
    expect(errorText(r({ kind: "invalidCredentials" }))).toBe("Wrong email or password.");
    expect(errorText(r({ kind: "rateLimited", retryAfterSecs: 30 }))).toBe("Too many attempts. Try again in 30 s.");
    expect(errorText(r({ kind: "rateLimited", retryAfterSecs: null }))).toMatch(/^Too many attempts/);
    expect(errorText(r({ kind: "busy", retryAfterSecs: 1 }))).toBe("The server is busy. Try again in 1 s.");
    expect(errorText(r({ kind: "unreachable" }))).toBe(UNREACHABLE_TEXT);
    expect(errorText(r({ kind: "timeout" }))).toBe(UNREACHABLE_TEXT);
    expect(errorText(r({ kind: "offline" }))).toMatch(/^Not connected to NurseCare/);
    expect(errorText(r({ kind: "keychainLocked" }))).toMatch(/keychain.*GNOME Keyring/);
    expect(errorText(r({ kind: "keychainUnavailable" }))).toMatch(/No keychain answered/);
    expect(errorText(r({ kind: "badServerAddress" }))).toMatch(/server address/);
    expect(errorText(r({ kind: "tooLong", chars: 5001, max: 5000 }))).toMatch(/5001.*5000/);
  });

  it("falls back to the report's sentence", () => {
    expect(errorText(r({ kind: "serverError", status: 500 }))).toBe("fallback sentence");
  });
});

describe("connection", () => {
  it("words each state", () => {
    expect(connectionText("offline", 0)).toBe("Not connected to NurseCare — showing saved messages");
    expect(connectionText("offline", 3)).toBe("Not connected to NurseCare — showing saved messages · 3 messages waiting");
    expect(connectionText("offline", 1)).toBe("Not connected to NurseCare — showing saved messages · 1 message waiting");
    expect(connectionText("connecting", 0)).toBe("Reconnecting…");
    expect(connectionText("signedOut", 0)).toBe("Signed out: your session expired.");
    expect(connectionText("online", 0)).toBeNull();
  });
});

describe("times", () => {
  const now = new Date(2026, 10, 20, 15, 0);
  it("labels days", () => {
    expect(dayLabel(new Date(2026, 10, 20, 9, 0).toISOString(), now)).toBe("Today");
    expect(dayLabel(new Date(2026, 10, 19, 23, 59).toISOString(), now)).toBe("Yesterday");
    expect(dayLabel(new Date(2025, 0, 2, 12, 0).toISOString(), now)).toMatch(/2025/);
  });
  it("says presence", () => {
    expect(presenceText({ online: true, lastSeen: null }, now)).toBe("Online");
    expect(presenceText({ online: false, lastSeen: new Date(2026, 10, 20, 14, 55).toISOString() }, now)).toBe(
      "Last seen 5 min ago",
    );
    expect(presenceText(undefined, now)).toBe("");
  });
  it("keeps a person being away apart from this app not being connected", () => {
    const away = presenceText({ online: false, lastSeen: null }, now);
    expect(away).toBe("Away");
    const banner = connectionText("offline", 0) ?? "";
    expect(banner).toMatch(/^Not connected to NurseCare/);
    for (const word of banner.toLowerCase().split(/\W+/).filter((w) => w.length > 3)) {
      expect(away.toLowerCase()).not.toContain(word);
    }
    expect(`${away} ${banner}`.toLowerCase()).not.toContain("offline");
  });
});
