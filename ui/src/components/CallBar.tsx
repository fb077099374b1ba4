import type { CallNow } from "../bindings/CallNow";
import { callStatusText } from "../text";
import { useSecondsSince } from "../hooks/useSecondsSince";

type Props = {
  call: CallNow;
  name: string;
  onHangUp: (callId: number) => void;
  onRejoin: () => void;
};

/** The user's call, above everything: calling, in call (with its live length), still going
 * after a restart (rejoin or end), or left offline (nothing to press: the app tells the server
 * once it can). */
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
      {call.phase === "hangingUp" ? null : (
        <button type="button" className="danger-button" onClick={() => onHangUp(call.callId)}>
          {call.phase === "ringingOut" ? "Cancel" : call.phase === "rejoin" ? "End call" : "Hang up"}
        </button>
      )}
    </div>
  );
}
