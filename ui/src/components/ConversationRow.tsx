import { memo } from "react";
import type { ConversationSummary } from "../bindings/ConversationSummary";
import { conversationPreview, conversationRowLabel, displayName, listTime, roleLabel } from "../text";
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
  onSelect: (id: number) => void;
};

/** One conversation in the list: who, role, preview, time, unread, online, muted. Memoised:
 * a live burst changes one row, not the others. */
export const ConversationRow = memo(function ConversationRow({ summary, me, draft, online, missedCall, selected, onSelect }: Props) {
  const name = displayName(summary.other);
  const shown = draft === undefined ? summary : { ...summary, draft };
  const preview = conversationPreview(shown, me);
  const describedBy = `conversation-${summary.id}-details`;
  return (
    <li className="conversation-item">
      <button
        type="button"
        className={selected ? "conversation-row selected" : "conversation-row"}
        aria-label={conversationRowLabel(name, summary.unread, summary.muted, online, missedCall)}
        aria-describedby={describedBy}
        aria-current={selected ? "true" : undefined}
        data-conversation-id={summary.id}
        onClick={() => onSelect(summary.id)}
      >
        <Avatar name={name} online={online} />
        <span className="conversation-body">
          <span className="conversation-top">
            <span className="conversation-name">{name}</span>
            {summary.other ? <span className={`role-badge ${summary.other.role.toLowerCase()}`}>{roleLabel(summary.other.role)}</span> : null}
            {summary.muted ? (
              <span className="muted-mark" title="Muted">
                <span aria-hidden="true">🔕</span>
              </span>
            ) : null}
            <time className="conversation-time" dateTime={summary.updatedAt}>
              {listTime(summary.updatedAt)}
            </time>
          </span>
          <span className="conversation-bottom" id={describedBy}>
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
