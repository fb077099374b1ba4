import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { App } from "../App";
import { start } from "../store/actions";
import { store } from "../store/store";
import { msg, session, snapshot, summary } from "../test-fixtures";
import { fakeShell } from "../test-ipc";

const chat = summary(10, { unread: 3, lastMessage: msg(5, { content: "my knee hurts tonight" }) });

/** Signed in with a chat on screen, then the shell says the window locked. */
async function lockedWindow(handlers: Record<string, unknown> = {}, hasPin = true) {
  const shell = fakeShell({ attach: session({ hasPin }), get_settings: null, ...handlers });
  render(<App />);
  await start();
  await shell.emit({ type: "snapshot", snapshot: snapshot({ conversations: [chat] }) });
  expect(await screen.findByText("Jane Doe")).toBeInTheDocument();
  await shell.emit({ type: "session", session: session({ locked: true, hasPin }) });
  await screen.findByRole("heading", { name: "NurseCare is locked" });
  return shell;
}

describe("LockScreen", () => {
  beforeEach(() => store.reset());

  it("shows nothing of any patient while locked", async () => {
    await lockedWindow();
    const text = document.body.textContent ?? "";
    for (const word of ["Jane", "knee", "3"]) expect(text).not.toContain(word);
    expect(screen.getByText("Signed in as chloe@example.com")).toBeInTheDocument();
  });

  it("says a wrong PIN with the tries left and opens on the right one", async () => {
    let tries = 0;
    const shell = await lockedWindow({
      unlock: ({ typed }: { typed: string }) =>
        typed === "482916" ? session() : Promise.reject({ kind: "wrongSecret", left: 4 - tries++, message: "" }),
    });
    const user = userEvent.setup();
    const field = screen.getByLabelText("PIN or password");
    expect(field).toHaveFocus();
    await user.type(field, "111111{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong PIN or password. 4 tries left before you are signed out.");
    await user.type(screen.getByLabelText("PIN or password"), "482916{Enter}");
    expect(await screen.findByText("Jane Doe")).toBeInTheDocument();
    expect(shell.callsOf("unlock")).toEqual([{ typed: "111111" }, { typed: "482916" }]);
  });

  it("asks for the password and a new PIN when the account has no PIN yet", async () => {
    const shell = await lockedWindow({ set_pin: () => session({ hasPin: true }) }, false);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Password"), "secret-pw");
    await user.type(screen.getByLabelText("New PIN (6 or more digits)"), "482916");
    await user.click(screen.getByRole("button", { name: "Set PIN and unlock" }));
    expect(await screen.findByText("Jane Doe")).toBeInTheDocument();
    expect(shell.callsOf("set_pin")).toEqual([{ password: "secret-pw", pin: "482916" }]);
  });

  it("locks on Ctrl+L", async () => {
    const shell = fakeShell({ attach: session(), get_settings: null });
    render(<App />);
    await start();
    await userEvent.setup().keyboard("{Control>}l{/Control}");
    expect(shell.callsOf("lock_now")).toHaveLength(1);
  });

  it("switches nurse: the others with their counts only, then the chosen one's PIN", async () => {
    const others = [
      { userId: 8, email: "ben@ward.test", unread: 4, ringing: true },
      { userId: 9, email: "ada@ward.test", unread: null, ringing: false },
    ];
    const ben = session({ userId: 8, email: "ben@ward.test", locked: true, hasPin: true, others: [] });
    const shell = await lockedWindow({ switch_nurse: () => ben });
    await shell.emit({ type: "session", session: session({ locked: true, hasPin: true, others }) });
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Switch nurse" }));
    expect(screen.getByRole("button", { name: /^ben@ward\.test/ })).toHaveFocus();
    const list = screen.getByRole("list", { name: "Nurses signed in on this computer" });
    expect(list).toHaveTextContent("ben@ward.test, Incoming call · 4 new messages");
    expect(list).toHaveTextContent("ada@ward.test, PIN needed to receive messages");
    expect(document.body.textContent).not.toContain("Jane");
    await user.click(screen.getByRole("button", { name: /ben@ward\.test/ }));
    expect(shell.callsOf("switch_nurse")).toEqual([{ userId: 8 }]);
    expect(await screen.findByText("Signed in as ben@ward.test")).toBeInTheDocument();
    expect(screen.getByLabelText("PIN or password")).toHaveFocus();
  });

  it("lets another nurse sign in beside the first, and says when the computer is full", async () => {
    const shell = await lockedWindow({
      sign_in: () => Promise.reject({ kind: "tooManyAccounts", max: 8, message: "" }),
    });
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Switch nurse" }));
    await user.click(screen.getByRole("button", { name: "Another nurse signs in" }));
    expect(screen.getByRole("heading", { name: "Another nurse signs in" })).toBeInTheDocument();
    expect(screen.getByText("chloe@example.com stays signed in, locked, and keeps receiving.")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveValue("");
    await user.type(screen.getByLabelText("Email"), "ben@ward.test");
    await user.type(screen.getByLabelText("Password"), "secret-pw{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "8 nurses are signed in on this computer already, the most it keeps. One of them signs out first",
    );
    expect(shell.callsOf("sign_in")).toEqual([
      { server: "https://nursecare-backend-luth.onrender.com", email: "ben@ward.test", password: "secret-pw" },
    ]);
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(await screen.findByRole("heading", { name: "NurseCare is locked" })).toBeInTheDocument();
  });

  it("rings in the open window for another nurse, for whom only, and switches to them", async () => {
    const ben = session({ userId: 8, email: "ben@ward.test", locked: true, hasPin: true });
    const shell = fakeShell({ attach: session(), get_settings: null, switch_nurse: () => ben });
    render(<App />);
    await start();
    await shell.emit({ type: "snapshot", snapshot: snapshot({ conversations: [chat] }) });
    await shell.emit({
      type: "session",
      session: session({ others: [{ userId: 8, email: "ben@ward.test", unread: 2, ringing: true }] }),
    });
    const ring = await screen.findByRole("alertdialog", { name: "Incoming video call for ben@ward.test" });
    expect(ring).not.toHaveTextContent("Jane");
    await userEvent.setup().click(screen.getByRole("button", { name: "Switch nurse to answer" }));
    expect(shell.callsOf("switch_nurse")).toEqual([{ userId: 8 }]);
    expect(await screen.findByText("Signed in as ben@ward.test")).toBeInTheDocument();
  });

  it("rings while locked and answers only after the PIN", async () => {
    const shell = await lockedWindow({ unlock: () => session() });
    await shell.emit({
      type: "core",
      event: { event: "incomingCall", callId: 7, conversationId: 10, roomName: "room-7", callerId: 2 },
    } as never);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Accept" }));
    expect(shell.callsOf("accept_call")).toHaveLength(0);
    await user.type(screen.getByLabelText("Your PIN or password, to answer the call"), "482916{Enter}");
    await waitFor(() => expect(shell.callsOf("accept_call")).toEqual([{ roomName: "room-7" }]));
  });
});
