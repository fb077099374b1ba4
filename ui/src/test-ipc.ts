// A fake shell for component tests: mockIPC with per-command answers, a record of calls,
// and the window's event channel captured from `attach` so a test can push AppEvents.
import { act } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import type { AppEvent } from "./shell";
import { flushEvents } from "./store/actions";

type Handler = (args: Record<string, unknown>) => unknown;

export type FakeShell = {
  calls: { cmd: string; args: Record<string, unknown> }[];
  callsOf(cmd: string): Record<string, unknown>[];
  /** Pushes an event down the channel `attach` was given. */
  emit(event: AppEvent): Promise<void>;
};

export function fakeShell(handlers: Record<string, Handler | unknown> = {}): FakeShell {
  const calls: FakeShell["calls"] = [];
  let channel: { onmessage: (e: AppEvent) => void } | null = null;
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (cmd === "attach") channel = args.events as { onmessage: (e: AppEvent) => void };
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
        ch.onmessage(event);
        // Core events are batched (actions.handleAppEvent); tests see each applied at once.
        flushEvents();
      });
    },
  };
}
