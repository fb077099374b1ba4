import { unreadLabel } from "../text";

/** The count of unread messages; hidden at zero. The word is there for assistive technology
 * (the number alone says nothing). */
export function UnreadBadge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span className="unread-badge" title={unreadLabel(count)}>
      {count > 99 ? "99+" : count}
      <span className="visually-hidden"> unread</span>
    </span>
  );
}
