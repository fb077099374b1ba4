/** Where the unread messages begin, as the chat was opened. */
export function UnreadMarker() {
  return (
    <div className="unread-marker">
      <span>New messages</span>
    </div>
  );
}
