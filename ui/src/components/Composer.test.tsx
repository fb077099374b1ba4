import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { store, useStore } from "../store/store";
import { outboxItem } from "../test-fixtures";
import { fakeShell } from "../test-ipc";
import { Composer } from "./Composer";

function Wired({ initialText = "" }: { initialText?: string }) {
  const error = useStore((s) => s.composerErrors[10]);
  return <Composer conversationId={10} initialText={initialText} error={error} />;
}

describe("Composer", () => {
  beforeEach(() => store.reset());

  it("Enter sends, clears the box and stops typing", async () => {
    const shell = fakeShell({ send_message: (a: Record<string, unknown>) => outboxItem("c1", { content: String(a.text) }) });
    render(<Wired />);
    const user = userEvent.setup();
    const box = screen.getByLabelText("Message");
    await user.type(box, "Hello nurse");
    expect(shell.callsOf("keystroke").length).toBeGreaterThan(0);
    expect(shell.callsOf("keystroke")[0]).toEqual({ conversationId: 10 });
    await user.keyboard("{Enter}");
    await waitFor(() => expect(box).toHaveValue(""));
    expect(shell.callsOf("send_message")).toEqual([{ conversationId: 10, text: "Hello nurse", urgent: false }]);
    expect(shell.callsOf("stop_typing")).toContainEqual({ conversationId: 10 });
    expect(store.getState().outbox.c1?.content).toBe("Hello nurse");
  });

  it("keeps what was typed while the message went out, as the draft too", async () => {
    let answer: (v: unknown) => void = () => undefined;
    const shell = fakeShell({ send_message: () => new Promise((r) => (answer = r)) });
    render(<Wired />);
    const user = userEvent.setup();
    const box = screen.getByLabelText("Message");
    await user.type(box, "First{Enter}");
    await user.type(box, " and more");
    answer(outboxItem("c1", { content: "First" }));
    await waitFor(() => expect(shell.callsOf("set_draft").at(-1)).toEqual({ conversationId: 10, text: "First and more" }));
    expect(box).toHaveValue("First and more");
    expect(store.getState().drafts[10]).toBe("First and more");
  });

  it("Shift+Enter starts a new line and sends nothing", async () => {
    const shell = fakeShell({ send_message: outboxItem("c1") });
    render(<Wired />);
    const user = userEvent.setup();
    const box = screen.getByLabelText("Message");
    await user.type(box, "line one{Shift>}{Enter}{/Shift}line two");
    expect(box).toHaveValue("line one\nline two");
    expect(shell.callsOf("send_message")).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(shell.callsOf("send_message")).toEqual([{ conversationId: 10, text: "line one\nline two", urgent: false }]));
  });

  it("shows a refused send in words and keeps the text", async () => {
    fakeShell({ send_message: () => Promise.reject({ kind: "tooLong", chars: 5001, max: 5000, message: "too long" }) });
    render(<Wired />);
    const user = userEvent.setup();
    const box = screen.getByLabelText("Message");
    await user.type(box, "x{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("This message is too long: 5001 characters, at most 5000.");
    expect(box).toHaveValue("x");
  });

  it("offers Urgent only where the server takes it, and sends it so once", async () => {
    const shell = fakeShell({ send_message: (a: Record<string, unknown>) => outboxItem("c1", { content: String(a.text) }) });
    render(<Wired />);
    expect(screen.queryByLabelText("Urgent")).toBeNull();
    act(() => store.dispatch({ type: "appEvents", events: [{ type: "core", event: { event: "connection", state: "online", outbox: 0, retryInMs: null, urgent: true } }] }));
    const user = userEvent.setup();
    await user.click(screen.getByLabelText("Urgent"));
    await user.type(screen.getByLabelText("Message"), "Come now{Enter}");
    await waitFor(() => expect(shell.callsOf("send_message")).toEqual([{ conversationId: 10, text: "Come now", urgent: true }]));
    // The next message is an ordinary one unless marked again.
    await waitFor(() => expect(screen.getByLabelText("Urgent")).not.toBeChecked());
    await user.type(screen.getByLabelText("Message"), "Thanks{Enter}");
    await waitFor(() => expect(shell.callsOf("send_message")[1]).toEqual({ conversationId: 10, text: "Thanks", urgent: false }));
  });

  it("starts from the draft and saves changes to it", async () => {
    const shell = fakeShell();
    render(<Wired initialText="half written" />);
    const user = userEvent.setup();
    const box = screen.getByLabelText("Message");
    expect(box).toHaveValue("half written");
    await user.type(box, "!");
    await waitFor(() => expect(shell.callsOf("set_draft")).toEqual([{ conversationId: 10, text: "half written!" }]), {
      timeout: 2000,
    });
  });
});
