import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { RingingNow } from "../bindings/RingingNow";
import { OtherNurses } from "../components/OtherNurses";
import { PasswordAndNewPin } from "../components/PasswordAndNewPin";
import { Ringtone } from "../components/Ringtone";
import type { SessionInfo } from "../shell";
import * as actions from "../store/actions";
import { conversationName } from "../store/selectors";
import { useStore } from "../store/store";
import { SignIn } from "./SignIn";

/** The locked window: whose it is and how to open it, nothing of any patient (no list, no
 * preview, no count of who wrote). A call still rings here, named as the notification setting
 * allows; Accept asks for the PIN first. *Switch nurse* lists the other nurses signed in on
 * this computer (their counts only) and lets another sign in beside them. */
export function LockScreen({ session }: { session: SessionInfo }) {
  const ringing = useStore((s) => s.ringing);
  const [answering, setAnswering] = useState<RingingNow | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [switching, setSwitching] = useState(false);
  const [adding, setAdding] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  const switchList = useRef<HTMLElement>(null);
  const heading = useId();
  const switchHeading = useId();

  // Focus goes to the field at once, and back to it after each wrong try.
  useEffect(() => field.current?.focus(), [error, answering, adding]);
  // Opening Switch nurse takes the focus to its first choice (the button that opened it is gone).
  useEffect(() => {
    if (switching) switchList.current?.querySelector<HTMLButtonElement>("button")?.focus();
  }, [switching]);

  if (adding) return <SignIn session={session} adding onCancel={() => setAdding(false)} />;

  const opened = () => {
    if (answering) actions.acceptCall(answering.roomName);
  };

  return (
    <main className="lock-screen" aria-labelledby={heading}>
      <Ringtone ringing={ringing.length > 0 || session.others.some((o) => o.ringing)} />
      <div className="lock-card" aria-busy={busy}>
        <div className="brand" aria-hidden="true">
          <span className="brand-mark">N</span>
          <span className="brand-name">NurseCare</span>
        </div>
        <h1 id={heading}>NurseCare is locked</h1>
        <p className="lock-who">{session.email ? `Signed in as ${session.email}` : null}</p>
        {ringing.map((r) => (
          <LockedRing key={r.callId} ring={r} answering={answering?.callId === r.callId} onAccept={() => setAnswering(r)} />
        ))}
        {error ? (
          <div role="alert" className="form-error">
            {error}
          </div>
        ) : null}
        {session.hasPin ? (
          <UnlockForm fieldRef={field} busy={busy} setBusy={setBusy} setError={setError} onOpened={opened} answering={answering !== null} />
        ) : (
          <FirstPinForm fieldRef={field} busy={busy} setBusy={setBusy} setError={setError} onOpened={opened} />
        )}
        <button type="button" className="link-button" disabled={busy} onClick={() => void actions.signOut(false)}>
          Sign out
        </button>
        {switching ? (
          <section className="lock-switch" aria-labelledby={switchHeading} ref={switchList}>
            <h2 id={switchHeading}>Switch nurse</h2>
            <OtherNurses others={session.others} busy={busy} />
            <button type="button" className="secondary-button" disabled={busy} onClick={() => setAdding(true)}>
              Another nurse signs in
            </button>
          </section>
        ) : (
          <button type="button" className="link-button" disabled={busy} onClick={() => setSwitching(true)}>
            Switch nurse
          </button>
        )}
      </div>
    </main>
  );
}

type FormProps = {
  fieldRef: React.RefObject<HTMLInputElement | null>;
  busy: boolean;
  setBusy: (b: boolean) => void;
  setError: (e: string | null) => void;
  onOpened: () => void;
};

/** One field: the PIN, or the password. */
function UnlockForm({ fieldRef, busy, setBusy, setError, onOpened, answering }: FormProps & { answering: boolean }) {
  const [typed, setTyped] = useState("");
  const id = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || typed === "") return;
    setBusy(true);
    const failure = await actions.unlock(typed);
    setBusy(false);
    setTyped("");
    setError(failure);
    if (!failure) onOpened();
  };
  return (
    <form className="lock-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={id}>{answering ? "Your PIN or password, to answer the call" : "PIN or password"}</label>
        <input
          id={id}
          ref={fieldRef}
          type="password"
          autoComplete="current-password"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
      </div>
      <button type="submit" className="primary-button" disabled={busy || typed === ""}>
        Unlock
      </button>
    </form>
  );
}

/** No PIN yet: the password proves who it is, and the PIN chosen opens the lock from now on. */
function FirstPinForm({ fieldRef, busy, setBusy, setError, onOpened }: FormProps) {
  const [password, setPassword] = useState("");
  const [pin, setPin] = useState("");
  const ids = { note: useId() };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    const failure = await actions.setPin(password, pin);
    setBusy(false);
    setPassword("");
    setError(failure);
    if (!failure) onOpened();
  };
  return (
    <form className="lock-form" onSubmit={submit} aria-describedby={ids.note}>
      <p className="field-note" id={ids.note}>
        Choose a PIN to unlock NurseCare on this computer from now on. Your password confirms it is you.
      </p>
      <PasswordAndNewPin password={password} pin={pin} onPassword={setPassword} onPin={setPin} passwordRef={fieldRef} />
      <button type="submit" className="primary-button" disabled={busy || password === "" || pin === ""}>
        Set PIN and unlock
      </button>
    </form>
  );
}

/** A call ringing while locked: the caller only as the notification setting allows. */
function LockedRing({ ring, answering, onAccept }: { ring: RingingNow; answering: boolean; onAccept: () => void }) {
  const privacy = useStore((s) => s.settings?.notificationPrivacy ?? "senderOnly");
  const conversations = useStore((s) => s.conversations);
  const caller = privacy === "nothing" ? null : conversationName(conversations.find((c) => c.id === ring.conversationId));
  const label = caller ? `${caller} is calling` : "Incoming video call";
  return (
    <div className="incoming-call" role="alertdialog" aria-label={label}>
      <span className="incoming-call-text">{answering ? "Unlock to answer the call" : label}</span>
      {answering ? null : (
        <>
          <button type="button" className="primary-button" onClick={onAccept}>
            Accept
          </button>
          <button type="button" className="danger-button" onClick={() => actions.rejectCall(ring.callId)}>
            Decline
          </button>
        </>
      )}
    </div>
  );
}
