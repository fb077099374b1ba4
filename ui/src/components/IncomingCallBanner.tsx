import { useEffect, useRef, useState } from "react";
import type { RingingNow } from "../bindings/RingingNow";

type Props = {
  ring: RingingNow;
  name: string;
  /** The user is in a call here: accepting hangs it up, so it asks first. */
  inCall: boolean;
  onAccept: (roomName: string) => void;
  onReject: (callId: number) => void;
};

/** Whether the user is typing somewhere: a ring must not take the keys mid-word (an Enter
 * meant for the message would answer the call). */
function typingIn(el: Element | null): boolean {
  return el instanceof HTMLElement && (el.isContentEditable || el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && (el as HTMLInputElement).type !== "checkbox"));
}

/** A call ringing here: who calls, Accept and Decline. Accepting during a call asks first.
 * When it starts ringing the focus goes to Accept (unless the user is typing), and comes back
 * to where it was once the ring is over. */
export function IncomingCallBanner({ ring, name, inCall, onAccept, onReject }: Props) {
  const [confirming, setConfirming] = useState(false);
  const accept = useRef<HTMLButtonElement>(null);
  const banner = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const before = document.activeElement;
    if (!typingIn(before)) accept.current?.focus();
    const node = banner.current;
    return () => {
      const now = document.activeElement;
      // Only if the focus is still with the banner (gone with it: on the page itself).
      const lost = now === null || now === document.body || (node !== null && node.contains(now));
      if (lost && before instanceof HTMLElement && before.isConnected) before.focus();
    };
  }, []);
  return (
    <div className="incoming-call" role="alertdialog" aria-label={`${name} is calling`} ref={banner}>
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
            ref={accept}
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
