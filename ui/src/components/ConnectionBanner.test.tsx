import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ConnectionBanner } from "./ConnectionBanner";

describe("ConnectionBanner", () => {
  it("offline, with messages waiting and Retry now", async () => {
    const retry = vi.fn();
    render(<ConnectionBanner state="offline" outbox={2} onRetryNow={retry} />);
    expect(screen.getByRole("status")).toHaveTextContent("Not connected to NurseCare — showing saved messages · 2 messages waiting");
    await userEvent.setup().click(screen.getByRole("button", { name: "Retry now" }));
    expect(retry).toHaveBeenCalledOnce();
  });

  it("offline with nothing waiting", () => {
    render(<ConnectionBanner state="offline" outbox={0} onRetryNow={() => {}} />);
    expect(screen.getByRole("status")).toHaveTextContent(/^Not connected to NurseCare — showing saved messagesRetry now$/);
  });

  it("reconnecting and signed out", () => {
    const { rerender } = render(<ConnectionBanner state="connecting" outbox={0} onRetryNow={() => {}} />);
    expect(screen.getByRole("status")).toHaveTextContent("Reconnecting…");
    expect(screen.queryByRole("button")).toBeNull();
    rerender(<ConnectionBanner state="signedOut" outbox={0} onRetryNow={() => {}} />);
    expect(screen.getByRole("status")).toHaveTextContent("Signed out: your session expired.");
  });

  it("says nothing when online with nothing waiting", () => {
    render(<ConnectionBanner state="online" outbox={0} onRetryNow={() => {}} />);
    expect(screen.getByRole("status")).toBeEmptyDOMElement();
  });
});
