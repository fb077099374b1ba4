import { useId, type RefObject } from "react";

type Props = {
  password: string;
  pin: string;
  onPassword: (value: string) => void;
  onPin: (value: string) => void;
  /** Where focus goes first (the lock screen). */
  passwordRef?: RefObject<HTMLInputElement | null>;
};

/** The account's password (which proves who it is) and the PIN chosen: the lock's first
 * unlock and Settings' Change PIN ask for the same two. */
export function PasswordAndNewPin({ password, pin, onPassword, onPin, passwordRef }: Props) {
  const ids = { password: useId(), pin: useId() };
  return (
    <>
      <div className="field">
        <label htmlFor={ids.password}>Password</label>
        <input
          id={ids.password}
          ref={passwordRef}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => onPassword(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.pin}>New PIN (6 or more digits)</label>
        <input
          id={ids.pin}
          type="password"
          inputMode="numeric"
          autoComplete="new-password"
          value={pin}
          onChange={(e) => onPin(e.target.value)}
        />
      </div>
    </>
  );
}
