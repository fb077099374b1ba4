import { mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FeedNotice } from "./bindings/FeedNotice";
import { attach } from "./ipc";
import type { AppEvent } from "./shell";

const open = (conversationId: number): AppEvent => ({ type: "openConversation", conversationId });
const bytes = (items: AppEvent[]) => new TextEncoder().encode(JSON.stringify(items)).buffer;
const until = async (check: () => boolean) => {
  for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe("the event feed", () => {
  it("pulls on a notice until nothing is left, in order, one loop at a time, and retries a refused pull", async () => {
    // What the shell has for each pull, in turn: nothing (the page's own pull after attach),
    // then a burst in two pulls, then nothing.
    const answers: (AppEvent[] | Error)[] = [[], [open(1), open(2)], new Error("busy"), [open(3)], []];
    const pulls: number[] = [];
    let notices: { onmessage: (n: FeedNotice) => void } | null = null;
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "attach") {
        notices = a.events as typeof notices;
        return { session: { signedIn: true }, feed: 4, first: [open(0)] };
      }
      if (cmd !== "pull_events") return null;
      pulls.push(a.feed as number);
      const next = answers.shift() ?? [];
      if (next instanceof Error) throw next;
      return bytes(next);
    });
    const got: number[] = [];
    const attached = await attach((e) => {
      if (e.type === "openConversation") got.push(e.conversationId);
    });
    // The first screen's data comes with the answer, for the caller.
    expect(attached.first).toEqual([open(0)]);
    expect(attached.session).toEqual({ signedIn: true });
    await until(() => pulls.length === 1);
    notices!.onmessage({ feed: 4 });
    // Told again while pulling: still one loop (two would pull more often).
    notices!.onmessage({ feed: 4 });
    await until(() => pulls.length >= 5);
    expect(got).toEqual([1, 2, 3]);
    // A refused pull was tried again; the last one found nothing and the page waits.
    expect(pulls).toEqual([4, 4, 4, 4, 4]);
    await new Promise((r) => setTimeout(r, 50));
    expect(pulls.length).toBe(5);
    // The next notice starts again.
    answers.push([open(5)]);
    notices!.onmessage({ feed: 4 });
    await until(() => got.length === 4);
    expect(got).toEqual([1, 2, 3, 5]);
  });
});

describe("the pull's pace", () => {
  afterEach(() => vi.useRealTimers());

  it("pulls again a frame after a few events, and waits longer after a flood's batch", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const typing = (n: number): AppEvent => ({
      type: "coreBatch",
      events: Array.from({ length: n }, () => ({ event: "typing", conversationId: 1, userId: 2, typing: true }) as const),
    });
    // The page's own pull after attach finds nothing; a notice then finds a flood's batch of
    // 100 events, then one event, then nothing.
    const answers: AppEvent[][] = [[], [typing(100)], [open(1)], [open(2)], []];
    let pulls = 0;
    let notices: { onmessage: (n: FeedNotice) => void } | null = null;
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "attach") {
        notices = a.events as typeof notices;
        return { session: { signedIn: true }, feed: 1, first: [] };
      }
      if (cmd !== "pull_events") return null;
      pulls++;
      return bytes(answers.shift() ?? []);
    });
    await attach(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(pulls).toBe(1);
    notices!.onmessage({ feed: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(pulls).toBe(2);
    // After 100 events: no pull for well over a frame (each pull is a render).
    await vi.advanceTimersByTimeAsync(200);
    expect(pulls).toBe(2);
    await vi.advanceTimersByTimeAsync(60);
    expect(pulls).toBe(3);
    // After one event: the next pull a frame later.
    await vi.advanceTimersByTimeAsync(20);
    expect(pulls).toBe(4);
    // The last finds nothing: the page waits for the next notice.
    await vi.advanceTimersByTimeAsync(20);
    expect(pulls).toBe(5);
    await vi.advanceTimersByTimeAsync(1000);
    expect(pulls).toBe(5);
  });
});
