import { useId, useState, type FormEvent } from "react";
import type { SessionInfo } from "../shell";
import * as actions from "../store/actions";
import { errorText, SESSION_EXPIRED_TEXT, SIGNED_OUT_BY_ADMIN_TEXT, TOO_MANY_TRIES_TEXT } from "../text";

/** Server, email and password; errors in words by kind. */
export function SignIn({ session }: { session: SessionInfo | null }) {
  const [server, setServer] = useState(session?.server || session?.productionServer || "");
  const [email, setEmail] = useState(session?.email ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { server: useId(), email: useId(), password: useId(), heading: useId() };

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
        <h1 id={ids.heading}>Sign in to NurseCare</h1>
        {expired && !error ? <p className="sign-in-note">{SESSION_EXPIRED_TEXT}</p> : null}
        {session?.ended === "tooManyTries" && !error ? <p className="sign-in-note">{TOO_MANY_TRIES_TEXT}</p> : null}
        {session?.ended === "signedOutByAdmin" && !error ? <p className="sign-in-note">{SIGNED_OUT_BY_ADMIN_TEXT}</p> : null}
        {error || problem ? (
          <div role="alert" className="form-error">
            {error ?? problem}
          </div>
        ) : null}
        <div className="field">
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
        {busy ? <p className="sign-in-busy" aria-live="polite">Signing in… the server may take a moment to wake up.</p> : null}
      </form>
    </main>
  );
}
