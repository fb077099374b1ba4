// A fake shell for component tests: mockIPC with per-command answers, a record of calls,
// and the window's event feed: a test pushes AppEvents, the page is told on the channel it
// gave `attach` and pulls them with `pull_events`, as from the real shell.
import { act } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { FeedNotice } from "./bindings/FeedNotice";
import type { AppEvent } from "./shell";
import { flushEvents } from "./store/actions";

type Handler = (args: Record<string, unknown>) => unknown;

export type FakeShell = {
  calls: { cmd: string; args: Record<string, unknown> }[];
  callsOf(cmd: string): Record<string, unknown>[];
  /** Puts an event in the feed, tells the page, and waits until the page has pulled it. */
  emit(event: AppEvent): Promise<void>;
};

const FEED = 1;

export function fakeShell(handlers: Record<string, Handler | unknown> = {}): FakeShell {
  const calls: FakeShell["calls"] = [];
  let channel: { onmessage: (n: FeedNotice) => void } | null = null;
  let feed: AppEvent[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    if (cmd === "pull_events") {
      const items = feed;
      feed = [];
      return new TextEncoder().encode(JSON.stringify(items)).buffer;
    }
    calls.push({ cmd, args });
    if (cmd === "attach") {
      channel = args.events as { onmessage: (n: FeedNotice) => void };
      // A test gives who is signed in; the feed starts empty (tests emit the snapshot).
      const h = handlers[cmd];
      const session = typeof h === "function" ? (h as Handler)(args) : h;
      return { session, feed: FEED, first: [] };
    }
    const h = handlers[cmd];
    if (typeof h === "function") return (h as Handler)(args);
    if (h !== undefined) return h;
    return null;
  });
  return {
    calls,
    callsOf: (cmd) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
    async emit(event) {
      if (!channel) throw new Error("attach was not called");
      const ch = channel;
      await act(async () => {
        feed.push(event);
        ch.onmessage({ feed: FEED });
        // Pulled (the answer is a macrotask away at most), then handed on.
        while (feed.length > 0) await new Promise((r) => setTimeout(r, 0));
        await new Promise((r) => setTimeout(r, 0));
        // Core events are batched (actions.handleAppEvent); tests see each applied at once.
        flushEvents();
      });
    },
  };
}
