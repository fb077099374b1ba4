import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import type { LockPolicy } from "../bindings/LockPolicy";
import type { NotificationPrivacy } from "../bindings/NotificationPrivacy";
import type { Settings as SettingsData } from "../bindings/Settings";
import { PasswordAndNewPin } from "../components/PasswordAndNewPin";
import * as actions from "../store/actions";
import { useStore } from "../store/store";
import { displayName, PUBLIC_JITSI_LIMIT } from "../text";

const PRIVACY: { value: NotificationPrivacy; label: string }[] = [
  { value: "senderAndText", label: "Sender and message text" },
  { value: "senderOnly", label: "Sender only" },
  { value: "nothing", label: "Nothing" },
];

/** The settings panel (in place of the chat): calls, notifications, start-up, muted chats, sign-out. */
export function Settings() {
  const session = useStore((s) => s.session);
  const conversations = useStore((s) => s.conversations);
  const [form, setForm] = useState<SettingsData | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirmForget, setConfirmForget] = useState(false);
  const [busy, setBusy] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const ids = { heading: useId(), server: useId(), jitsi: useId(), jitsiNote: useId(), start: useId() };

  useEffect(() => {
    headingRef.current?.focus();
    let alive = true;
    void actions.loadSettings().then((s) => {
      if (alive && s) setForm(s);
    });
    return () => {
      alive = false;
    };
  }, []);

  const muted = conversations.filter((c) => c.muted);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    setBusy(true);
    setStatus(null);
    setError(null);
    const jitsi = form.jitsiDomain?.trim() ?? "";
    const failure = await actions.saveSettings({ ...form, jitsiDomain: jitsi === "" ? null : jitsi });
    setBusy(false);
    if (failure) setError(failure);
    else setStatus("Settings saved.");
  };

  const signOut = async (forgetCache: boolean) => {
    setBusy(true);
    setError(null);
    const failure = await actions.signOut(forgetCache);
    setBusy(false);
    if (failure) setError(failure);
  };

  // Closing gives the focus back to the button that opened Settings (it would fall to the
  // page otherwise, and a keyboard user would start again from the top).
  const close = () => {
    actions.openSettings(false);
    document.querySelector<HTMLButtonElement>("[data-settings-toggle]")?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.preventDefault();
      close();
    }
  };

  return (
    <section className="settings" aria-labelledby={ids.heading} onKeyDown={onKeyDown}>
      <header className="settings-header">
        <h2 id={ids.heading} ref={headingRef} tabIndex={-1}>
          Settings
        </h2>
        <button type="button" className="secondary-button" onClick={close}>
          Close settings
        </button>
      </header>
      <form className="settings-body" onSubmit={save}>
        {error ? (
          <div role="alert" className="form-error">
            {error}
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={ids.server}>Server</label>
          <input id={ids.server} type="text" readOnly value={session?.server ?? ""} />
          {session?.email ? <p className="field-note">Signed in as {session.email}</p> : null}
        </div>
        <div className="field">
          <label htmlFor={ids.jitsi}>Jitsi domain</label>
          <input
            id={ids.jitsi}
            type="text"
            placeholder="meet.jit.si"
            spellCheck={false}
            aria-describedby={ids.jitsiNote}
            disabled={!form}
            value={form?.jitsiDomain ?? ""}
            onChange={(e) => form && setForm({ ...form, jitsiDomain: e.target.value })}
          />
          <p className="field-note" id={ids.jitsiNote}>
            Your clinic's Jitsi, for video calls where the server names only the public meet.jit.si (a server that names its
            own Jitsi wins). {PUBLIC_JITSI_LIMIT}
          </p>
        </div>
        <fieldset className="field radio-group">
          <legend>Notifications show</legend>
          {PRIVACY.map((p) => (
            <label key={p.value} className="radio">
              <input
                type="radio"
                name="notification-privacy"
                value={p.value}
                disabled={!form}
                checked={(form?.notificationPrivacy ?? "senderOnly") === p.value}
                onChange={() => form && setForm({ ...form, notificationPrivacy: p.value })}
              />
              {p.label}
            </label>
          ))}
        </fieldset>
        <div className="field checkbox">
          <input
            id={ids.start}
            type="checkbox"
            disabled={!form}
            checked={form?.startAtLogin ?? false}
            onChange={(e) => form && setForm({ ...form, startAtLogin: e.target.checked })}
          />
          <label htmlFor={ids.start}>Start NurseCare when I log in</label>
        </div>
        <div className="settings-actions">
          <button type="submit" className="primary-button" disabled={!form || busy}>
            Save settings
          </button>
          <span aria-live="polite" className="settings-status">
            {status}
          </span>
        </div>
      </form>
      <LockSettings />
      <section className="settings-section" aria-label="Muted conversations">
        <h3>Muted conversations</h3>
        {muted.length === 0 ? (
          <p className="field-note">No muted conversations.</p>
        ) : (
          <ul role="list" className="muted-list">
            {muted.map((c) => {
              const name = displayName(c.other);
              return (
                <li key={c.id} className="muted-item">
                  <span id={`muted-${c.id}`}>{name}</span>
                  <button
                    type="button"
                    className="small-button"
                    aria-describedby={`muted-${c.id}`}
                    onClick={() => actions.setMuted(c.id, false)}
                  >
                    Unmute
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </section>
      <section className="settings-section" aria-label="Account">
        <h3>Account</h3>
        <div className="settings-actions">
          <button type="button" className="secondary-button" disabled={busy} onClick={() => void signOut(false)}>
            Sign out
          </button>
          <button type="button" className="danger-button" disabled={busy} onClick={() => setConfirmForget(true)}>
            Sign out and delete this account's messages from this computer
          </button>
        </div>
        {confirmForget ? (
          <div className="confirm" role="group" aria-label="Confirm deleting saved messages">
            <p>
              Delete this account's saved messages from this computer and sign out? Messages that were not sent yet are
              lost. Your messages stay on the server.
            </p>
            <div className="settings-actions">
              <button type="button" className="danger-button" disabled={busy} onClick={() => void signOut(true)}>
                Delete and sign out
              </button>
              <button type="button" className="secondary-button" onClick={() => setConfirmForget(false)}>
                Cancel
              </button>
            </div>
          </div>
        ) : null}
      </section>
    </section>
  );
}

const LOCK_CHOICES = [1, 2, 5, 10, 15, 30, 60, 0];

/** When the window locks by itself: the nurse's choice, or the organisation's (shown, fixed). */
function LockSettings() {
  const [policy, setPolicy] = useState<LockPolicy | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  useEffect(() => {
    let alive = true;
    void actions.lockPolicy().then((p) => {
      if (alive) setPolicy(p);
    });
    return () => {
      alive = false;
    };
  }, []);
  const choose = async (minutes: number) => {
    const answer = await actions.setLockMinutes(minutes);
    if (typeof answer === "string") setError(answer);
    else {
      setError(null);
      setPolicy(answer);
    }
  };
  const label = (m: number) => (m === 0 ? "Never by itself" : m === 1 ? "After 1 minute" : `After ${m} minutes`);
  return (
    <section className="settings-section" aria-label="Lock">
      <h3>Lock</h3>
      {error ? (
        <div role="alert" className="form-error">
          {error}
        </div>
      ) : null}
      <div className="field">
        <label htmlFor={id}>Lock NurseCare when it is not used</label>
        <select
          id={id}
          disabled={!policy || policy.byOrganisation}
          value={policy?.minutes ?? 5}
          onChange={(e) => void choose(Number(e.target.value))}
        >
          {[...new Set([...LOCK_CHOICES, policy?.minutes ?? 5])].map((m) => (
            <option key={m} value={m}>
              {label(m)}
            </option>
          ))}
        </select>
        {policy?.byOrganisation ? <p className="field-note">Set by your organisation.</p> : null}
        <p className="field-note">Ctrl+L locks it at once. Your PIN or password opens it.</p>
      </div>
      <div className="settings-actions">
        <button type="button" className="secondary-button" onClick={actions.lockNow}>
          Lock now
        </button>
      </div>
      <ChangePin />
    </section>
  );
}

/** Sets or changes the PIN that opens the lock, proven by the password. */
function ChangePin() {
  const hasPin = useStore((s) => s.session?.hasPin ?? false);
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [pin, setPin] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    const failure = await actions.setPin(password, pin);
    setBusy(false);
    setPassword("");
    setError(failure);
    if (!failure) {
      setPin("");
      setOpen(false);
      setStatus("PIN saved.");
    }
  };
  if (!open) {
    return (
      <div className="settings-actions">
        <button type="button" className="secondary-button" onClick={() => {
            setOpen(true);
            setStatus(null);
          }}>
          {hasPin ? "Change PIN" : "Set a PIN"}
        </button>
        <span aria-live="polite" className="settings-status">
          {status}
        </span>
      </div>
    );
  }
  return (
    <form className="change-pin" onSubmit={save} aria-label={hasPin ? "Change PIN" : "Set a PIN"}>
      {error ? (
        <div role="alert" className="form-error">
          {error}
        </div>
      ) : null}
      <PasswordAndNewPin password={password} pin={pin} onPassword={setPassword} onPin={setPin} />
      <div className="settings-actions">
        <button type="submit" className="primary-button" disabled={busy || password === "" || pin === ""}>
          Save PIN
        </button>
        <button type="button" className="secondary-button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
