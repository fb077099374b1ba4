import type { OutboxItem } from "../bindings/OutboxItem";
import { MessageText } from "./MessageText";

type Props = {
  item: OutboxItem;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
  onOpenLink: (url: string) => void;
};

/** A message of mine not on the server yet: "Sending…", or failed with Retry and Discard. */
export function OutboxBubble({ item, onRetry, onDiscard, onOpenLink }: Props) {
  const failed = item.state === "failed";
  return (
    <div className={failed ? "bubble-row mine outbox failed" : "bubble-row mine outbox"}>
      <div className="bubble">
        <MessageText text={item.content} onOpenLink={onOpenLink} />
      </div>
      <div className="bubble-meta">
        {failed ? (
          <>
            <span className="outbox-failed">Failed: {item.reason ?? "not sent"}</span>
            <button type="button" className="small-button" onClick={() => onRetry(item.clientId)}>
              Retry
            </button>
            <button type="button" className="small-button" onClick={() => onDiscard(item.clientId)}>
              Discard
            </button>
          </>
        ) : (
          <span className="outbox-pending">Sending…</span>
        )}
      </div>
    </div>
  );
}
