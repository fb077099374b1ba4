import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { App } from "./App";
import type { Message } from "./bindings/Message";
import { start } from "./store/actions";
import { store } from "./store/store";
import { at, JANE, ME, msg, outboxItem, session, snapshot, summary } from "./test-fixtures";
import { fakeShell, type FakeShell } from "./test-ipc";

const EVIL = "<img src=x onerror=alert(1)>";

const thread: Message[] = [
  msg(1, { content: EVIL }),
  msg(2, { senderId: ME, content: "Took the tablets at 8", read: true }),
  msg(3, { type: "SYSTEM", content: "VIDEO_CALL_ENDED:2m 50s" }),
  msg(4, { content: "See https://example.org/care for details" }),
  msg(5, { type: "IMAGE", content: "wound.jpg" }),
  msg(6, { senderId: ME, content: "Thanks" }),
];

async function signedIn(handlers: Record<string, unknown> = {}, snap = snapshot()): Promise<FakeShell> {
  const shell = fakeShell({
    attach: session(),
    history: (args: Record<string, unknown>) => (args.before === null ? [...thread].reverse() : []),
    ...handlers,
  });
  render(<App />);
  await act(() => start());
  await shell.emit({ type: "snapshot", snapshot: snap });
  return shell;
}

async function openJane(shell: FakeShell) {
  const user = userEvent.setup();
  await user.click(screen.getByRole("button", { name: /^Jane Doe/ }));
  await screen.findByRole("log", { name: "Messages" });
  await waitFor(() => expect(shell.callsOf("history")).not.toHaveLength(0));
  return user;
}

describe("the main window", () => {
  beforeEach(() => store.reset());

  it("quits on Ctrl+Q (closing the window only hides it)", async () => {
    const shell = await signedIn({ quit: null });
    const user = userEvent.setup();
    await user.keyboard("{Control>}q{/Control}");
    expect(shell.callsOf("quit")).toHaveLength(1);
  });

  it("makes the list one Tab stop, moved by the arrows", async () => {
    const shell = fakeShell({ attach: session(), get_settings: null });
    render(<App />);
    await start();
    await shell.emit({
      type: "snapshot",
      snapshot: snapshot({ conversations: [summary(10, { updatedAt: at(9) }), summary(11, { updatedAt: at(8) }), summary(12, { updatedAt: at(7) })] }),
    });
    const list = await screen.findByRole("list", { name: "Conversations" });
    const rows = () => within(list).getAllByRole("button");
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(rows().map((r) => r.tabIndex)).toEqual([0, -1, -1]);
    const user = userEvent.setup();
    rows()[0]?.focus();
    await user.keyboard("{ArrowDown}");
    expect(rows()[1]).toHaveFocus();
    expect(rows().map((r) => r.tabIndex)).toEqual([-1, 0, -1]);
    await user.tab();
    expect(list.contains(document.activeElement)).toBe(false);
  });

  it("lists conversations from the snapshot, most recent first, and reports the first paint once", async () => {
    const shell = await signedIn(
      {},
      snapshot({
        conversations: [
          summary(10, { unread: 2, updatedAt: at(5), lastMessage: msg(5, { content: "How are you?" }) }),
          summary(11, { updatedAt: at(9), muted: true, lastMessage: msg(9, { type: "SYSTEM", content: "VIDEO_CALL_MISSED", conversationId: 11 }) }),
        ],
        unread: { 10: 2 },
        unreadTotal: 2,
        presence: [{ userId: JANE, online: true, lastSeen: null }],
      }),
    );
    const list = screen.getByRole("list", { name: "Conversations" });
    const rows = within(list).getAllByRole("button");
    // Each row is named by its own visible text, with the words its marks stand for.
    expect(rows.map((r) => r.hasAttribute("aria-label"))).toEqual([false, false]);
    expect(rows[0]).toHaveAccessibleName(/^Ben Carter.*, muted/);
    expect(rows[1]).toHaveAccessibleName(/^Jane Doe, online.*How are you\?.*2\s?unread$/);
    expect(within(list).getByText("Missed video call")).toBeInTheDocument();
    expect(within(list).getByText("How are you?")).toBeInTheDocument();
    await waitFor(() => expect(shell.callsOf("first_paint")).toHaveLength(1));
    // With when the page reached each step, in order.
    const page = shell.callsOf("first_paint")[0]?.page as Record<string, number>;
    expect(page.timeOrigin).toBeGreaterThan(0);
    expect(page.attached).toBeGreaterThanOrEqual(page.script as number);
    expect(page.snapshot).toBeGreaterThanOrEqual(page.attached as number);
    expect(page.rendered).toBeGreaterThanOrEqual(page.snapshot as number);
    expect(page.laidOut).toBeGreaterThanOrEqual(page.rendered as number);
    expect(page.painted).toBeGreaterThanOrEqual(page.laidOut as number);
    await shell.emit({ type: "core", event: { event: "conversation", summary: summary(10, { updatedAt: at(20) }) } });
    expect(within(list).getAllByRole("button")[0]).toHaveAccessibleName(/^Jane Doe/);
    await new Promise((r) => setTimeout(r, 30));
    expect(shell.callsOf("first_paint")).toHaveLength(1);
    expect(screen.getByText("Choose a conversation")).toBeInTheDocument();
  });

  it("renders message text as text: markup stays literal, no element is made from it", async () => {
    const shell = await signedIn();
    await openJane(shell);
    const log = screen.getByRole("log", { name: "Messages" });
    expect(await within(log).findByText(EVIL)).toBeInTheDocument();
    expect(document.querySelector("img")).toBeNull();
    expect(document.querySelector("[onerror]")).toBeNull();
    expect(shell.callsOf("open_conversation")).toContainEqual({ conversationId: 10 });
    expect(shell.callsOf("history")[0]).toEqual({ conversationId: 10, before: null, limit: 50 });
  });

  it("shows notices in words, ticks, attachments and links that open in the browser", async () => {
    const shell = await signedIn();
    const user = await openJane(shell);
    const log = screen.getByRole("log", { name: "Messages" });
    await within(log).findByText("Thanks");
    expect(within(log).getByText("Video call ended · 2m 50s")).toBeInTheDocument();
    expect(within(log).getByText("Photo: wound.jpg")).toBeInTheDocument();
    expect(within(log).getByText("Read")).toBeInTheDocument();
    expect(within(log).getByText("Sent")).toBeInTheDocument();
    await user.click(within(log).getByRole("button", { name: "https://example.org/care" }));
    expect(shell.callsOf("open_link")).toEqual([{ url: "https://example.org/care" }]);
    // The other side reads: ✓ becomes ✓✓.
    await shell.emit({ type: "core", event: { event: "read", conversationId: 10, readBy: JANE, at: at(7) } });
    expect(within(log).queryByText("Sent")).toBeNull();
    expect(within(log).getAllByText("Read")).toHaveLength(2);
  });

  it("shows outbox rows until their message arrives, with Retry and Discard when failed", async () => {
    const shell = await signedIn({ retry_message: outboxItem("c1", { state: "pending" }), discard_message: true });
    const user = await openJane(shell);
    const log = screen.getByRole("log", { name: "Messages" });
    await within(log).findByText("Thanks");
    await shell.emit({ type: "core", event: { event: "outbox", item: outboxItem("c1", { content: "Are you there?" }) } });
    expect(within(log).getByText("Sending…")).toBeInTheDocument();
    await shell.emit({
      type: "core",
      event: { event: "outbox", item: outboxItem("c1", { content: "Are you there?", state: "failed", reason: "The server refused it." }) },
    });
    expect(within(log).getByText("Failed: The server refused it.")).toBeInTheDocument();
    await user.click(within(log).getByRole("button", { name: "Retry" }));
    expect(shell.callsOf("retry_message")).toEqual([{ clientId: "c1" }]);
    await shell.emit({ type: "core", event: { event: "outbox", item: outboxItem("c1", { content: "Are you there?", state: "sent", messageId: 7 }) } });
    await shell.emit({
      type: "core",
      event: { event: "messageAdded", message: msg(7, { senderId: ME, content: "Are you there?", clientId: "c1" }), live: true },
    });
    expect(within(log).getAllByText("Are you there?")).toHaveLength(1);
    expect(within(log).queryByText("Sending…")).toBeNull();
  });

  it("says a newly arrived message for screen readers, and has one status region", async () => {
    const shell = await signedIn();
    await openJane(shell);
    await within(screen.getByRole("log", { name: "Messages" })).findByText("Thanks");
    await shell.emit({ type: "core", event: { event: "messageAdded", message: msg(8, { content: "Blood test at 9" }), live: true } });
    expect(screen.getByText("Jane Doe: Blood test at 9")).toBeInTheDocument();
    expect(screen.getAllByRole("status")).toHaveLength(1);
  });

  it("loads the page before the oldest message when scrolled near the top", async () => {
    const page = Array.from({ length: 50 }, (_, i) => msg(100 + i)).reverse();
    const older = Array.from({ length: 10 }, (_, i) => msg(90 + i)).reverse();
    const shell = await signedIn({
      history: (a: Record<string, unknown>) => (a.before === null ? page : a.before === 100 ? older : []),
    });
    const tall = Object.getOwnPropertyDescriptor(HTMLElement.prototype, "scrollHeight");
    Object.defineProperty(HTMLElement.prototype, "scrollHeight", { configurable: true, get: () => 5000 });
    try {
      await openJane(shell);
      const log = screen.getByRole("log", { name: "Messages" });
      await within(log).findByText("message 100");
      expect(shell.callsOf("history")).toHaveLength(1);
      log.scrollTop = 100;
      log.dispatchEvent(new Event("scroll"));
      await waitFor(() => expect(shell.callsOf("history")[1]).toEqual({ conversationId: 10, before: 100, limit: 50 }));
      await waitFor(() => expect(store.getState().threads[10]?.messages).toHaveLength(60));
      expect(store.getState().threads[10]?.reachedStart).toBe(true);
    } finally {
      if (tall) Object.defineProperty(HTMLElement.prototype, "scrollHeight", tall);
      else delete (HTMLElement.prototype as unknown as Record<string, unknown>).scrollHeight;
    }
  });

  it("keeps each chat's draft when switching chats, and starts from the saved one", async () => {
    const shell = await signedIn({}, snapshot({ conversations: [summary(10), summary(11, { draft: "Bring the leaflet" })] }));
    const user = await openJane(shell);
    await user.type(screen.getByLabelText("Message"), "Half a thought");
    await user.click(screen.getByRole("button", { name: /^Ben Carter/ }));
    expect(await screen.findByLabelText("Message")).toHaveValue("Bring the leaflet");
    // Leaving Jane's chat saved her draft at once (no waiting for the pause).
    expect(shell.callsOf("set_draft")).toContainEqual({ conversationId: 10, text: "Half a thought" });
    // Her row previews it.
    expect(screen.getByText("Draft: Half a thought")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: /^Jane Doe/ }));
    expect(await screen.findByLabelText("Message")).toHaveValue("Half a thought");
  });

  it("shows who is typing", async () => {
    const shell = await signedIn();
    await openJane(shell);
    await shell.emit({ type: "core", event: { event: "typing", conversationId: 10, userId: JANE, typing: true } });
    expect(screen.getByText("Jane Doe is typing…")).toBeInTheDocument();
    await shell.emit({ type: "core", event: { event: "typing", conversationId: 10, userId: JANE, typing: false } });
    expect(screen.queryByText("Jane Doe is typing…")).toBeNull();
  });

  it("marks a chat read when opened with unread messages, and opens a chat the shell asks for", async () => {
    const shell = await signedIn({}, snapshot({ conversations: [summary(10, { unread: 1 }), summary(11)], unread: { 10: 1 }, unreadTotal: 1 }));
    await shell.emit({ type: "openConversation", conversationId: 10 });
    await screen.findByRole("heading", { name: "Jane Doe" });
    expect(shell.callsOf("mark_read")).toEqual([{ conversationId: 10 }]);
    expect(shell.callsOf("open_conversation")).toContainEqual({ conversationId: 10 });
  });

  it("searches as the nurse types and opens the thread at the hit", async () => {
    const hit = msg(3, { content: "blood pressure 128/82" });
    const shell = await signedIn({
      search: [{ message: hit, snippet: [{ text: "blood ", hit: false }, { text: "pressure", hit: true }, { text: " 128/82", hit: false }] }],
      around: [msg(4), hit, msg(2)],
    });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Search messages"), "pressure");
    const results = await screen.findByRole("list", { name: "Search results" });
    // The newest query always runs last; those typed past while one ran are skipped.
    await waitFor(() => expect(shell.callsOf("search").at(-1)).toEqual({ query: "pressure", limit: 50 }));
    expect(shell.callsOf("search").length).toBeLessThanOrEqual("pressure".length - 1);
    const mark = await within(results).findByText("pressure");
    expect(mark.tagName).toBe("MARK");
    await user.click(within(results).getByRole("button", { name: /Jane Doe/ }));
    expect(shell.callsOf("around")).toEqual([{ conversationId: 10, messageId: 3, count: 25 }]);
    // Only the page around the hit: a newest page loading at the same time could replace it.
    expect(shell.callsOf("history")).toEqual([]);
    const log = await screen.findByRole("log", { name: "Messages" });
    expect(await within(log).findByText("blood pressure 128/82")).toBeInTheDocument();
    expect(log).toHaveFocus();
    expect(screen.queryByRole("list", { name: "Search results" })).toBeNull();
  });

  it("Escape clears the search", async () => {
    await signedIn({ search: [] });
    const user = userEvent.setup();
    const box = screen.getByLabelText("Search messages");
    await user.type(box, "zz");
    await screen.findByText("No messages found.");
    await user.keyboard("{Escape}");
    expect(box).toHaveValue("");
    expect(screen.getByRole("list", { name: "Conversations" })).toBeInTheDocument();
  });

  it("shows cache and error notices", async () => {
    const shell = await signedIn();
    await shell.emit({ type: "core", event: { event: "cacheRebuilt", movedTo: "/x", reason: "key" } });
    expect(
      screen.getByText("Your saved messages could not be read and were set aside; they are being fetched again."),
    ).toBeInTheDocument();
  });

  it("has no style attributes in its markup", async () => {
    const shell = await signedIn();
    await openJane(shell);
    await within(screen.getByRole("log", { name: "Messages" })).findByText("Thanks");
    // Positions are set as DOM properties by the virtualiser; nothing in the markup React renders.
    const styled = [...document.querySelectorAll("[style]")].filter(
      (el) => !el.classList.contains("message-row") && !el.classList.contains("message-canvas") && !el.classList.contains("composer-input"),
    );
    expect(styled).toEqual([]);
  });

  it("lets Call be pressed while a call left offline waits for the server, not during a call", async () => {
    const left = {
      callId: 4,
      conversationId: 10,
      roomName: "nursecare-10-00000000000000aa",
      direction: "outgoing" as const,
      phase: "hangingUp" as const,
      jitsiUrl: "https://meet.clinic.test/nursecare-10-00000000000000aa",
      jitsiJwt: null,
      startedAt: at(1),
      inCallSince: null,
    };
    const shell = await signedIn({ start_call: null }, snapshot({ call: left }));
    const user = await openJane(shell);
    const call = screen.getByRole("button", { name: "Call" });
    expect(call).toBeEnabled();
    await user.click(call);
    expect(shell.callsOf("start_call")).toHaveLength(1);
    await shell.emit({ type: "core", event: { event: "myCall", call: { ...left, phase: "inCall", inCallSince: at(2) } } });
    await waitFor(() => expect(screen.getByRole("button", { name: "Call" })).toBeDisabled());
  });

  it("shares files dropped on the window in the chat on screen, with their progress, and says why one failed", async () => {
    const shell = await signedIn({
      upload_file: (args: Record<string, unknown>) => {
        if (String(args.path).endsWith(".bat")) throw { kind: "fileRefused", message: "" };
        return null;
      },
      files: [],
    });
    // No chat on screen: nothing is sent, and the window says what to do.
    await shell.emit({ type: "filesDropped", paths: ["/home/amara/wound.jpg"] });
    expect(shell.callsOf("upload_file")).toHaveLength(0);
    expect(await screen.findByText(/Open a chat first/)).toBeInTheDocument();
    const user = await openJane(shell);
    await shell.emit({ type: "filesDropped", paths: ["/home/amara/wound.jpg", "C:\\Users\\amara\\run.bat"] });
    await waitFor(() => expect(shell.callsOf("upload_file")).toHaveLength(2));
    expect(shell.callsOf("upload_file")[0]).toMatchObject({ conversationId: 10, path: "/home/amara/wound.jpg" });
    await user.click(screen.getByRole("button", { name: /^Files/ }));
    const failed = await screen.findByText("run.bat was not sent");
    expect(failed).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent(/cannot be shared/);
  });
});
