import { beforeEach, describe, expect, it } from "vitest";
import { fakeShell } from "../test-ipc";
import { runSearch, setSearchQuery } from "./actions";
import { store } from "./store";

describe("search as you type", () => {
  beforeEach(() => store.reset());

  it("runs one search at a time, then only the newest query typed meanwhile", async () => {
    const answers: ((hits: unknown[]) => void)[] = [];
    const shell = fakeShell({ search: () => new Promise((resolve) => answers.push(resolve)) });
    setSearchQuery("bl");
    const first = runSearch("bl");
    await Promise.resolve();
    // Typed on while "bl" runs: "blo" is typed past before its turn, "bloo" waits.
    setSearchQuery("blo");
    void runSearch("blo");
    setSearchQuery("bloo");
    void runSearch("bloo");
    await new Promise((r) => setTimeout(r, 0));
    expect(shell.callsOf("search").map((c) => c.query)).toEqual(["bl"]);
    answers[0]?.([]);
    await new Promise((r) => setTimeout(r, 0));
    expect(shell.callsOf("search").map((c) => c.query)).toEqual(["bl", "bloo"]);
    answers[1]?.([]);
    await first;
    expect(store.getState().search).toMatchObject({ query: "bloo", status: "ready" });
  });
});
