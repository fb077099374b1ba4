import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { CallNow } from "../bindings/CallNow";
import { callClock, callHistoryText } from "../text";
import { CallBar } from "./CallBar";
import { CallHistory } from "./CallHistory";
import { IncomingCallBanner } from "./IncomingCallBanner";

const call = (over: Partial<CallNow> = {}): CallNow => ({
  callId: 4,
  conversationId: 10,
  roomName: "nursecare-10-00000000000000aa",
  direction: "outgoing",
  phase: "ringingOut",
  jitsiUrl: "https://meet.clinic.test/nursecare-10-00000000000000aa",
  jitsiJwt: null,
  startedAt: "2026-11-20T10:00:00.000Z",
  inCallSince: null,
  ...over,
});

describe("CallBar", () => {
  it("calling, with Cancel hanging up that call", async () => {
    const hangUp = vi.fn();
    render(<CallBar call={call()} name="Jane Doe" onHangUp={hangUp} onRejoin={() => {}} />);
    expect(screen.getByRole("status")).toHaveTextContent("Calling Jane Doe…");
    await userEvent.setup().click(screen.getByRole("button", { name: "Cancel" }));
    expect(hangUp).toHaveBeenCalledWith(4);
  });

  it("in call with its live length", () => {
    const since = new Date(Date.now() - 75_000).toISOString();
    render(<CallBar call={call({ phase: "inCall", inCallSince: since })} name="Jane Doe" onHangUp={() => {}} onRejoin={() => {}} />);
    expect(screen.getByRole("status")).toHaveTextContent(/In call with Jane Doe · 1:1[56]/);
    expect(screen.getByRole("button", { name: "Hang up" })).toBeInTheDocument();
  });

  it("offers a rejoin after a restart, never joins by itself", async () => {
    const rejoin = vi.fn();
    const hangUp = vi.fn();
    render(<CallBar call={call({ phase: "rejoin" })} name="Jane Doe" onHangUp={hangUp} onRejoin={rejoin} />);
    expect(screen.getByRole("status")).toHaveTextContent("Your call with Jane Doe is still going");
    expect(rejoin).not.toHaveBeenCalled();
    await userEvent.setup().click(screen.getByRole("button", { name: "Rejoin" }));
    expect(rejoin).toHaveBeenCalledOnce();
    await userEvent.setup().click(screen.getByRole("button", { name: "End call" }));
    expect(hangUp).toHaveBeenCalledWith(4);
  });

  it("says a call left offline ends for the other side once the server is reached, with nothing to press", () => {
    render(<CallBar call={call({ phase: "hangingUp" })} name="Jane Doe" onHangUp={() => {}} onRejoin={() => {}} />);
    expect(screen.getByRole("status")).toHaveTextContent(
      "You left the call with Jane Doe · it ends for Jane Doe as soon as the server can be reached",
    );
    expect(screen.queryByRole("button")).toBeNull();
  });
});

describe("IncomingCallBanner", () => {
  const ring = { callId: 5, conversationId: 11, roomName: "nursecare-11-bb", callerId: 2 };

  it("accepts or declines at once when the user is in no call", async () => {
    const accept = vi.fn();
    const reject = vi.fn();
    render(<IncomingCallBanner ring={ring} name="Ben Okoro" inCall={false} onAccept={accept} onReject={reject} />);
    expect(screen.getByRole("alertdialog", { name: "Ben Okoro is calling" })).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole("button", { name: "Accept" }));
    expect(accept).toHaveBeenCalledWith("nursecare-11-bb");
    await userEvent.setup().click(screen.getByRole("button", { name: "Decline" }));
    expect(reject).toHaveBeenCalledWith(5);
  });

  it("takes the focus to Accept when it rings, and gives it back when the ring is over", () => {
    const { rerender } = render(
      <div>
        <button type="button">Search</button>
      </div>,
    );
    const search = screen.getByRole("button", { name: "Search" });
    search.focus();
    const banner = (ringing: boolean) => (
      <div>
        <button type="button">Search</button>
        {ringing ? <IncomingCallBanner ring={ring} name="Ben Okoro" inCall={false} onAccept={() => {}} onReject={() => {}} /> : null}
      </div>
    );
    rerender(banner(true));
    expect(screen.getByRole("button", { name: "Accept" })).toHaveFocus();
    rerender(banner(false));
    expect(screen.getByRole("button", { name: "Search" })).toHaveFocus();
  });

  it("leaves the focus where the user is typing", () => {
    const { rerender } = render(<textarea aria-label="Message" />);
    const message = screen.getByRole("textbox", { name: "Message" });
    message.focus();
    rerender(
      <>
        <textarea aria-label="Message" />
        <IncomingCallBanner ring={ring} name="Ben Okoro" inCall={false} onAccept={() => {}} onReject={() => {}} />
      </>,
    );
    expect(screen.getByRole("textbox", { name: "Message" })).toHaveFocus();
  });

  it("asks before a second call hangs up the first", async () => {
    const accept = vi.fn();
    render(<IncomingCallBanner ring={ring} name="Ben Okoro" inCall={true} onAccept={accept} onReject={() => {}} />);
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Accept" }));
    expect(accept).not.toHaveBeenCalled();
    expect(screen.getByRole("alertdialog")).toHaveTextContent("Accepting hangs up your current call.");
    await user.click(screen.getByRole("button", { name: "Back" }));
    await user.click(screen.getByRole("button", { name: "Accept" }));
    await user.click(screen.getByRole("button", { name: "Hang up and accept" }));
    expect(accept).toHaveBeenCalledOnce();
  });
});

describe("call history", () => {
  it("words direction, outcome and length", () => {
    expect(callClock(7)).toBe("0:07");
    expect(callClock(3723)).toBe("1:02:03");
    expect(callHistoryText(true, "ENDED", 125)).toBe("Outgoing call · 2:05");
    expect(callHistoryText(false, "MISSED", null)).toBe("Incoming call · missed");
    expect(callHistoryText(true, "MISSED", null)).toBe("Outgoing call · not answered");
  });

  it("lists a chat's calls, newest first as given", () => {
    const t = "2026-11-20T10:00:00.000Z";
    const c = (id: number, startedBy: number, status: "ENDED" | "MISSED", duration: number | null) => ({
      id,
      conversationId: 10,
      roomName: `r${id}`,
      startedBy,
      startedAt: t,
      endedAt: t,
      duration,
      status,
      createdAt: t,
      updatedAt: t,
    });
    render(<CallHistory calls={[c(2, 1, "ENDED", 61), c(1, 2, "MISSED", null)]} me={1} onClose={() => {}} />);
    const rows = screen.getAllByRole("listitem").map((r) => r.textContent);
    expect(rows[0]).toContain("Outgoing call · 1:01");
    expect(rows[1]).toContain("Incoming call · missed");
  });
});
