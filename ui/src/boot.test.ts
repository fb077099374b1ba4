import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it, vi } from "vitest";
import type { AppEvent } from "./shell";

const open = (conversationId: number): AppEvent => ({ type: "openConversation", conversationId });
const bytes = (items: AppEvent[]) => new TextEncoder().encode(JSON.stringify(items)).buffer;

describe("the attach begun at load", () => {
  it("is asked for before the store exists, hands on what came meanwhile in order, and is used once", async () => {
    const asked: string[] = [];
    // The page's own pull after attach finds two events before the store takes them.
    const pulls: AppEvent[][] = [[open(1), open(2)], []];
    mockIPC((cmd) => {
      asked.push(cmd);
      if (cmd === "attach") return { session: { signedIn: true }, feed: 1, first: [open(0)] };
      if (cmd === "pull_events") return bytes(pulls.shift() ?? []);
      return null;
    });
    vi.resetModules();
    const boot = await import("./boot");
    // Importing it asked the shell already; the second pull comes after the first's events
    // were handed on (to no one yet).
    await vi.waitFor(() => expect(asked).toEqual(["attach", "pull_events", "pull_events"]), { timeout: 5000 });
    const got: number[] = [];
    const answer = await boot.take((e) => {
      if (e.type === "openConversation") got.push(e.conversationId);
    });
    expect(answer.first).toEqual([open(0)]);
    expect(got).toEqual([1, 2]);
    expect(asked.filter((c) => c === "attach")).toHaveLength(1);
    // A later start (Try again) attaches afresh.
    await boot.take(() => undefined);
    expect(asked.filter((c) => c === "attach")).toHaveLength(2);
  });
});
