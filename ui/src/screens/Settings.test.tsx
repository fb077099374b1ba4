import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { App } from "../App";
import type { Settings } from "../bindings/Settings";
import { start } from "../store/actions";
import { store } from "../store/store";
import { session, snapshot, summary } from "../test-fixtures";
import { fakeShell } from "../test-ipc";

const saved: Settings = { server: null, jitsiDomain: null, notificationPrivacy: "senderOnly", startAtLogin: false, lockMinutes: null };

async function openSettings(handlers: Record<string, unknown> = {}) {
  const shell = fakeShell({
    attach: session(),
    get_settings: saved,
    save_settings: (a: Record<string, unknown>) => a.settings,
    sign_out: session({ signedIn: false, ended: "signedOut", userId: null }),
    ...handlers,
  });
  render(<App />);
  await act(() => start());
  await shell.emit({ type: "snapshot", snapshot: snapshot({ conversations: [summary(10, { muted: true }), summary(11)] }) });
  const user = userEvent.setup();
  await user.click(screen.getByRole("button", { name: "Settings" }));
  await screen.findByRole("heading", { name: "Settings" });
  await waitFor(() => expect(screen.getByRole("radio", { name: "Sender only" })).toBeChecked());
  return { shell, user };
}

describe("Settings", () => {
  beforeEach(() => store.reset());

  it("shows the server, defaults to sender only, and saves what was chosen", async () => {
    const { shell, user } = await openSettings();
    expect(screen.getByLabelText("Server")).toHaveValue("https://nursecare-backend-luth.onrender.com");
    expect(screen.getByLabelText("Jitsi domain")).toHaveAttribute("placeholder", "meet.jit.si");
    expect(screen.getByText(/public meet.jit.si.*end after 5 minutes/)).toBeInTheDocument();
    await user.type(screen.getByLabelText("Jitsi domain"), " meet.clinic.example ");
    await user.click(screen.getByRole("radio", { name: "Nothing" }));
    await user.click(screen.getByRole("checkbox", { name: "Start NurseCare when I log in" }));
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    await waitFor(() =>
      expect(shell.callsOf("save_settings")).toEqual([
        { settings: { server: null, jitsiDomain: "meet.clinic.example", notificationPrivacy: "nothing", startAtLogin: true, lockMinutes: null } },
      ]),
    );
    expect(await screen.findByText("Settings saved.")).toBeInTheDocument();
  });

  it("gives the focus back to the Settings button when closed with Escape or its button", async () => {
    const { user } = await openSettings();
    await user.click(screen.getByRole("radio", { name: "Nothing" }));
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("heading", { name: "Settings" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Settings" })).toHaveFocus();
    await user.click(screen.getByRole("button", { name: "Settings" }));
    await user.click(await screen.findByRole("button", { name: "Close settings" }));
    expect(screen.getByRole("button", { name: "Settings" })).toHaveFocus();
  });

  it("sets the lock time, unless the organisation set it", async () => {
    const { shell, user } = await openSettings({
      lock_policy: { minutes: 5, byOrganisation: false },
      set_lock_minutes: ({ minutes }: { minutes: number }) => ({ minutes, byOrganisation: false }),
    });
    const select = await screen.findByLabelText("Lock NurseCare when it is not used");
    await waitFor(() => expect(select).toBeEnabled());
    await user.selectOptions(select, "Never by itself");
    expect(shell.callsOf("set_lock_minutes")).toEqual([{ minutes: 0 }]);
    await waitFor(() => expect(select).toHaveValue("0"));
  });

  it("changes the PIN with the password, and says a refusal", async () => {
    let tries = 0;
    const { shell, user } = await openSettings({
      set_pin: () => (tries++ === 0 ? Promise.reject({ kind: "wrongPassword", message: "" }) : session({ hasPin: true })),
    });
    await user.click(screen.getByRole("button", { name: "Set a PIN" }));
    await user.type(screen.getByLabelText("Password"), "nope");
    await user.type(screen.getByLabelText("New PIN (6 or more digits)"), "135790");
    await user.click(screen.getByRole("button", { name: "Save PIN" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong password.");
    await user.type(screen.getByLabelText("Password"), "secret-pw");
    await user.click(screen.getByRole("button", { name: "Save PIN" }));
    expect(await screen.findByText("PIN saved.")).toBeInTheDocument();
    expect(shell.callsOf("set_pin")).toEqual([
      { password: "nope", pin: "135790" },
      { password: "secret-pw", pin: "135790" },
    ]);
  });

  it("shows the organisation's lock time as fixed", async () => {
    await openSettings({ lock_policy: { minutes: 2, byOrganisation: true } });
    const select = await screen.findByLabelText("Lock NurseCare when it is not used");
    await waitFor(() => expect(select).toHaveValue("2"));
    expect(select).toBeDisabled();
    expect(screen.getByText("Set by your organisation.")).toBeInTheDocument();
  });

  it("lists muted chats with Unmute", async () => {
    const { shell, user } = await openSettings();
    const muted = screen.getByRole("region", { name: "Muted conversations" });
    expect(within(muted).getByText("Jane Doe")).toBeInTheDocument();
    await user.click(within(muted).getByRole("button", { name: "Unmute" }));
    expect(shell.callsOf("set_muted")).toEqual([{ conversationId: 10, muted: false }]);
    await waitFor(() => expect(within(muted).queryByText("Jane Doe")).toBeNull());
  });

  it("deletes saved messages only after a confirmation", async () => {
    const { shell, user } = await openSettings();
    await user.click(screen.getByRole("button", { name: "Sign out and delete this account's messages from this computer" }));
    expect(shell.callsOf("sign_out")).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(screen.getByRole("button", { name: "Sign out and delete this account's messages from this computer" }));
    await user.click(screen.getByRole("button", { name: "Delete and sign out" }));
    expect(shell.callsOf("sign_out")).toEqual([{ forgetCache: true }]);
    expect(await screen.findByRole("heading", { name: "Sign in to NurseCare" })).toBeInTheDocument();
  });

  it("signs out keeping the messages", async () => {
    const { shell, user } = await openSettings();
    await user.click(screen.getByRole("button", { name: "Sign out" }));
    expect(shell.callsOf("sign_out")).toEqual([{ forgetCache: false }]);
  });
});
