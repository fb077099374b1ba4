import type { VideoCall } from "../bindings/VideoCall";
import { callHistoryText, dayLabel, formatTime } from "../text";

type Props = {
  calls: VideoCall[] | undefined;
  me: number | null;
  onClose: () => void;
};

/** A chat's calls, newest first: direction, when, length or outcome. */
export function CallHistory({ calls, me, onClose }: Props) {
  return (
    <section className="call-history" aria-label="Call history">
      <header className="call-history-header">
        <h3>Calls</h3>
        <button type="button" className="secondary-button" onClick={onClose}>
          Close
        </button>
      </header>
      {calls === undefined ? <p className="list-status">Loading calls…</p> : null}
      {calls && calls.length === 0 ? <p className="list-status">No calls yet.</p> : null}
      <ul role="list" className="call-history-list">
        {(calls ?? []).map((c) => (
          <li key={c.id} className={`call-history-row ${c.status.toLowerCase()}`}>
            <span className="call-history-what">{callHistoryText(c.startedBy === me, c.status, c.duration)}</span>
            <time dateTime={c.startedAt}>
              {dayLabel(c.startedAt)} {formatTime(c.startedAt)}
            </time>
          </li>
        ))}
      </ul>
    </section>
  );
}
