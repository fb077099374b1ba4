import { useState } from "react";
import type { RingingNow } from "../bindings/RingingNow";

type Props = {
  ring: RingingNow;
  name: string;
  /** The user is in a call here: accepting hangs it up, so it asks first. */
  inCall: boolean;
  onAccept: (roomName: string) => void;
  onReject: (callId: number) => void;
};

/** A call ringing here: who calls, Accept and Decline. Accepting during a call asks first. */
export function IncomingCallBanner({ ring, name, inCall, onAccept, onReject }: Props) {
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="incoming-call" role="alertdialog" aria-label={`${name} is calling`}>
      <span className="incoming-call-text">
        {confirming ? "Accepting hangs up your current call." : `${name} is calling`}
      </span>
      {confirming ? (
        <>
          <button type="button" className="primary-button" onClick={() => onAccept(ring.roomName)}>
            Hang up and accept
          </button>
          <button type="button" className="secondary-button" onClick={() => setConfirming(false)}>
            Back
          </button>
        </>
      ) : (
        <>
          <button
            type="button"
            className="primary-button"
            onClick={() => (inCall ? setConfirming(true) : onAccept(ring.roomName))}
          >
            Accept
          </button>
          <button type="button" className="danger-button" onClick={() => onReject(ring.callId)}>
            Decline
          </button>
        </>
      )}
    </div>
  );
}
