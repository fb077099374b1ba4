import { unreadLabel } from "../text";

/** The count of unread messages; hidden at zero. */
export function UnreadBadge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span className="unread-badge" title={unreadLabel(count)}>
      {count > 99 ? "99+" : count}
    </span>
  );
}
