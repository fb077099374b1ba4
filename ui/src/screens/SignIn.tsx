import { useId, useState, type FormEvent } from "react";
import { OtherNurses } from "../components/OtherNurses";
import type { SessionInfo } from "../shell";
import * as actions from "../store/actions";
import { errorText, SESSION_EXPIRED_TEXT, SIGNED_OUT_BY_ADMIN_TEXT, TOO_MANY_TRIES_TEXT } from "../text";

/** Server, email and password; errors in words by kind. With `adding`, another nurse signs in
 * beside those signed in (a shift change, from the lock screen): on the same server, and
 * Cancel goes back to the lock. Signed out, the nurses still signed in on this computer are
 * listed to open instead. */
export function SignIn({
  session,
  adding = false,
  onCancel,
}: {
  session: SessionInfo | null;
  adding?: boolean;
  onCancel?: () => void;
}) {
  const [server, setServer] = useState(session?.server || session?.productionServer || "");
  const [email, setEmail] = useState(adding ? "" : (session?.email ?? ""));
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { server: useId(), email: useId(), password: useId(), heading: useId(), others: useId() };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const failure = await actions.signIn(server, email, password);
    setBusy(false);
    if (failure) setError(failure);
  };

  const expired = session?.ended === "expired";
  // Why the kept session could not start (a locked keychain, the cache open elsewhere).
  const problem = session?.problem ? errorText(session.problem) : null;

  return (
    <main className="sign-in">
      <form className="sign-in-card" aria-labelledby={ids.heading} onSubmit={submit} aria-busy={busy}>
        <div className="brand" aria-hidden="true">
          <span className="brand-mark">N</span>
          <span className="brand-name">NurseCare</span>
        </div>
        <h1 id={ids.heading}>{adding ? "Another nurse signs in" : "Sign in to NurseCare"}</h1>
        {adding ? (
          <p className="sign-in-note">{`${session?.email ?? "The nurse before"} stays signed in, locked, and keeps receiving.`}</p>
        ) : null}
        {expired && !error && !adding ? <p className="sign-in-note">{SESSION_EXPIRED_TEXT}</p> : null}
        {session?.ended === "tooManyTries" && !error && !adding ? <p className="sign-in-note">{TOO_MANY_TRIES_TEXT}</p> : null}
        {session?.ended === "signedOutByAdmin" && !error && !adding ? <p className="sign-in-note">{SIGNED_OUT_BY_ADMIN_TEXT}</p> : null}
        {error || problem ? (
          <div role="alert" className="form-error">
            {error ?? problem}
          </div>
        ) : null}
        <div className="field" hidden={adding}>
          <label htmlFor={ids.server}>Server</label>
          <div className="field-row">
            <input
              id={ids.server}
              type="text"
              inputMode="url"
              autoComplete="url"
              spellCheck={false}
              value={server}
              onChange={(e) => setServer(e.target.value)}
            />
            <button
              type="button"
              className="secondary-button"
              title={session?.localServer || undefined}
              onClick={() => setServer(session?.localServer ?? "")}
            >
              Use local server
            </button>
          </div>
        </div>
        <div className="field">
          <label htmlFor={ids.email}>Email</label>
          <input
            id={ids.email}
            type="email"
            autoComplete="username"
            spellCheck={false}
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <button type="submit" className="primary-button" disabled={busy}>
          Sign in
        </button>
        {onCancel ? (
          <button type="button" className="link-button" disabled={busy} onClick={onCancel}>
            Cancel
          </button>
        ) : null}
        {busy ? <p className="sign-in-busy" aria-live="polite">Signing in… the server may take a moment to wake up.</p> : null}
        {!adding && session && session.others.length > 0 ? (
          <section className="sign-in-others" aria-labelledby={ids.others}>
            <h2 id={ids.others}>Or open a nurse signed in on this computer</h2>
            <OtherNurses others={session.others} busy={busy} />
          </section>
        ) : null}
      </form>
    </main>
  );
}
