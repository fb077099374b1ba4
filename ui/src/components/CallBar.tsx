import { useEffect, useState } from "react";
import type { CallNow } from "../bindings/CallNow";
import { callStatusText } from "../text";

type Props = {
  call: CallNow;
  name: string;
  onHangUp: (callId: number) => void;
  onRejoin: () => void;
};

/** Seconds since `since` (an ISO time), ticking every second; null without a time. */
function useSecondsSince(since: string | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (since === null) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [since]);
  return since === null ? null : Math.max(0, (now - Date.parse(since)) / 1000);
}

/** The user's call, above everything: calling, in call (with its live length), or still
 * going after a restart (rejoin or end). */
export function CallBar({ call, name, onHangUp, onRejoin }: Props) {
  const seconds = useSecondsSince(call.phase === "inCall" ? call.inCallSince : null);
  return (
    <div className={`call-bar ${call.phase}`} role="status" aria-live="polite">
      <span className="call-bar-text">{callStatusText(call.phase, name, seconds)}</span>
      {call.phase === "rejoin" ? (
        <button type="button" className="primary-button" onClick={onRejoin}>
          Rejoin
        </button>
      ) : null}
      <button type="button" className="danger-button" onClick={() => onHangUp(call.callId)}>
        {call.phase === "ringingOut" ? "Cancel" : call.phase === "rejoin" ? "End call" : "Hang up"}
      </button>
    </div>
  );
}
