import type { OtherAccount } from "../bindings/OtherAccount";
import * as actions from "../store/actions";
import { otherNurseText } from "../text";

/** The other nurses signed in on this computer: whose, and how many new messages, never from
 * whom. Choosing one brings them to the front, behind their PIN. */
export function OtherNurses({ others, busy }: { others: OtherAccount[]; busy: boolean }) {
  if (others.length === 0) return null;
  return (
    <ul className="other-nurses" aria-label="Nurses signed in on this computer">
      {others.map((o) => (
        <li key={o.userId}>
          <button type="button" className="other-nurse" disabled={busy} onClick={() => void actions.switchNurse(o.userId)}>
            <span className="other-nurse-email">{o.email}</span>
            <span className="visually-hidden">, </span>
            <span className="other-nurse-count">
              {o.ringing ? <strong className="other-nurse-ringing">Incoming call · </strong> : null}
              {otherNurseText(o.unread)}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
