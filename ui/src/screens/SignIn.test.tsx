import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { App } from "../App";
import { start } from "../store/actions";
import { store } from "../store/store";
import { session } from "../test-fixtures";
import { fakeShell } from "../test-ipc";

const signedOut = session({ signedIn: false, email: null, userId: null, role: null });

async function showSignIn(handlers: Record<string, unknown>, who = signedOut) {
  const shell = fakeShell({ attach: who, ...handlers });
  render(<App />);
  await start();
  await screen.findByRole("heading", { name: "Sign in to NurseCare" });
  return shell;
}

describe("SignIn", () => {
  beforeEach(() => store.reset());

  it("says a wrong password in words", async () => {
    const shell = await showSignIn({
      sign_in: () => Promise.reject({ kind: "invalidCredentials", message: "Unauthorized" }),
    });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Email"), "chloe@example.com");
    await user.type(screen.getByLabelText("Password"), "nope");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(shell.callsOf("sign_in")).toEqual([
      { server: "https://nursecare-backend-luth.onrender.com", email: "chloe@example.com", password: "nope" },
    ]);
  });

  it("says how long to wait when rate limited", async () => {
    await showSignIn({ sign_in: () => Promise.reject({ kind: "rateLimited", retryAfterSecs: 12, message: "" }) });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Password"), "x");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many attempts. Try again in 12 s.");
  });

  it("fills the local server, and says an expired session", async () => {
    await showSignIn({}, { ...signedOut, ended: "expired" });
    expect(screen.getByText("Your session expired. Sign in again.")).toBeInTheDocument();
    const server = screen.getByLabelText("Server");
    expect(server).toHaveValue("https://nursecare-backend-luth.onrender.com");
    await userEvent.setup().click(screen.getByRole("button", { name: "Use local server" }));
    expect(server).toHaveValue("http://127.0.0.1:3001");
  });

  it("says too many wrong tries signed the nurse out", async () => {
    await showSignIn({}, { ...signedOut, ended: "tooManyTries" });
    expect(screen.getByText(/Too many wrong tries: you were signed out/)).toBeInTheDocument();
  });

  it("says an administrator signed the nurse out", async () => {
    await showSignIn({}, { ...signedOut, ended: "signedOutByAdmin" });
    expect(screen.getByText("An administrator signed you out of NurseCare. Sign in again.")).toBeInTheDocument();
  });

  it("offers the nurses still signed in on this computer after one signs out", async () => {
    const ben = session({ userId: 8, email: "ben@ward.test", locked: true, hasPin: true });
    const shell = await showSignIn(
      { switch_nurse: () => ben },
      { ...signedOut, ended: "signedOut", others: [{ userId: 8, email: "ben@ward.test", unread: 0, ringing: false }] },
    );
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: /^ben@ward\.test,\s?no new messages$/ }));
    expect(shell.callsOf("switch_nurse")).toEqual([{ userId: 8 }]);
    expect(await screen.findByRole("heading", { name: "NurseCare is locked" })).toBeInTheDocument();
    expect(screen.getByText("Signed in as ben@ward.test")).toBeInTheDocument();
  });

  it("goes to the list when signed in", async () => {
    const shell = await showSignIn({ sign_in: () => session() });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Email"), "chloe@example.com");
    await user.type(screen.getByLabelText("Password"), "secret1");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("list", { name: "Conversations" })).toBeInTheDocument();
    expect(shell.callsOf("sign_in")).toHaveLength(1);
  });
});
