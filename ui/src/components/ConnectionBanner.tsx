import type { Connection } from "../bindings/Connection";
import { connectionText } from "../text";

type Props = { state: Connection; outbox: number; onRetryNow: () => void };

/** The link's state in words; nothing when online with nothing waiting. */
export function ConnectionBanner({ state, outbox, onRetryNow }: Props) {
  const text = connectionText(state, outbox);
  return (
    <div role="status" className={text ? `connection-banner ${state}` : "connection-banner hidden"}>
      {text ? <span>{text}</span> : null}
      {state === "offline" ? (
        <button type="button" className="small-button" onClick={onRetryNow}>
          Retry now
        </button>
      ) : null}
    </div>
  );
}
