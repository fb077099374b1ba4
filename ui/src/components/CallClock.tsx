import { useSecondsSince } from "../hooks/useSecondsSince";
import { callClock } from "../text";

/** A call's live length ("3:12") in the chat's header. */
export function CallClock({ since }: { since: string }) {
  const seconds = useSecondsSince(since) ?? 0;
  return (
    <span className="call-clock" role="timer" aria-label={`In call for ${callClock(seconds)}`}>
      In call · {callClock(seconds)}
    </span>
  );
}
