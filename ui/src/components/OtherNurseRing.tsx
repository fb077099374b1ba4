import type { OtherAccount } from "../bindings/OtherAccount";
import * as actions from "../store/actions";

/** A call ringing for another nurse signed in on this computer: for whom, never who calls.
 * Switching locks the window and asks for that nurse's PIN; once open, their call's banner
 * answers it. */
export function OtherNurseRing({ nurse }: { nurse: OtherAccount }) {
  const label = `Incoming video call for ${nurse.email}`;
  return (
    <div className="incoming-call" role="alertdialog" aria-label={label}>
      <span className="incoming-call-text">{label}</span>
      <button type="button" className="primary-button" onClick={() => void actions.switchNurse(nurse.userId)}>
        Switch nurse to answer
      </button>
    </div>
  );
}
