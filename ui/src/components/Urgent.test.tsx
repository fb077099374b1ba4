import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { msg, summary } from "../test-fixtures";
import { ConversationRow } from "./ConversationRow";
import { MessageBubble } from "./MessageBubble";

describe("urgent messages", () => {
  it("the sender sees an urgent message marked, and when it was read", () => {
    const m = msg(5, { urgent: true, read: true, readAt: "2026-11-20T14:02:00.000Z" });
    render(<MessageBubble message={m} mine senderName={null} highlighted={false} onOpenLink={() => undefined} />);
    expect(screen.getByText("Urgent")).toBeInTheDocument();
    expect(screen.getByText(/^Read /)).toBeInTheDocument();
  });

  it("an ordinary message says neither", () => {
    render(<MessageBubble message={msg(5, { read: true })} mine senderName={null} highlighted={false} onOpenLink={() => undefined} />);
    expect(screen.queryByText("Urgent")).toBeNull();
    expect(screen.queryByText(/^Read /)).toBeNull();
  });

  it("the chat's row says an urgent message waits", () => {
    render(
      <ul>
        <ConversationRow summary={summary(10, { urgent: 1, unread: 1 })} me={1} draft={undefined} online={false} missedCall={false} selected={false}
          tabStop
          onSelect={() => undefined}
          onFocusRow={() => undefined}
        />
      </ul>,
    );
    expect(screen.getByText("Urgent")).toBeInTheDocument();
  });
});
