import type { Notice } from "../store/state";

/** Things the user should know (a rebuilt cache, an error from the core), each dismissable. */
export function Notices({ notices, onDismiss }: { notices: Notice[]; onDismiss: (id: number) => void }) {
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className="notice">
          <span>{n.text}</span>
          <button type="button" className="small-button" aria-label="Dismiss notice" onClick={() => onDismiss(n.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
