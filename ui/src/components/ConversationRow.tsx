import { memo } from "react";
import type { ConversationSummary } from "../bindings/ConversationSummary";
import { conversationPreview, displayName, listTime, roleLabel } from "../text";
import { Avatar } from "./Avatar";
import { UnreadBadge } from "./UnreadBadge";

type Props = {
  summary: ConversationSummary;
  me: number | null;
  /** A draft typed in this window, newer than the row's. */
  draft: string | undefined;
  online: boolean;
  /** A call from this chat was missed and the chat not opened since. */
  missedCall: boolean;
  selected: boolean;
  /** The list's one Tab stop (a roving tabindex: arrows move between rows). */
  tabStop: boolean;
  onSelect: (id: number) => void;
  onFocusRow: (id: number) => void;
};

/** One conversation in the list: who, role, preview, time, unread, online, muted. Its name for
 * assistive technology is its own visible text (with the words the marks stand for, hidden),
 * never a label that replaces it (WCAG 2.5.3). Memoised: a live burst changes one row, not
 * the others. */
export const ConversationRow = memo(function ConversationRow({
  summary,
  me,
  draft,
  online,
  missedCall,
  selected,
  tabStop,
  onSelect,
  onFocusRow,
}: Props) {
  const name = displayName(summary.other);
  const shown = draft === undefined ? summary : { ...summary, draft };
  const preview = conversationPreview(shown, me);
  return (
    <li className="conversation-item">
      <button
        type="button"
        className={selected ? "conversation-row selected" : "conversation-row"}
        aria-current={selected ? "true" : undefined}
        tabIndex={tabStop ? 0 : -1}
        data-conversation-id={summary.id}
        onClick={() => onSelect(summary.id)}
        onFocus={() => onFocusRow(summary.id)}
      >
        <Avatar name={name} online={online} />
        <span className="conversation-body">
          <span className="conversation-top">
            <span className="conversation-name">{name}</span>
            {online ? <span className="visually-hidden">, online</span> : null}
            {summary.other ? <span className={`role-badge ${summary.other.role.toLowerCase()}`}>{roleLabel(summary.other.role)}</span> : null}
            {summary.muted ? (
              <span className="muted-mark" title="Muted">
                <span aria-hidden="true">🔕</span>
                <span className="visually-hidden">, muted</span>
              </span>
            ) : null}
            <time className="conversation-time" dateTime={summary.updatedAt}>
              {listTime(summary.updatedAt)}
            </time>
          </span>
          <span className="conversation-bottom">
            {/* On the preview's line, not the name's: the name stays whole whatever is marked. */}
            {summary.urgent > 0 ? (
              <span className="urgent-mark" title="Urgent message not read yet">
                Urgent
              </span>
            ) : null}
            {missedCall ? (
              <span className="missed-call-mark" title="Missed call">
                Missed call
              </span>
            ) : null}
            <span className={preview.startsWith("Draft: ") ? "conversation-preview draft" : "conversation-preview"}>
              {preview}
            </span>
            <UnreadBadge count={summary.unread} />
          </span>
        </span>
      </button>
    </li>
  );
});
