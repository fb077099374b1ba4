/** ✓ sent, ✓✓ read (by the other party); the words are there for screen readers. */
export function ReadTicks({ read }: { read: boolean }) {
  return (
    <span className={read ? "ticks ticks-read" : "ticks"}>
      <span aria-hidden="true">{read ? "✓✓" : "✓"}</span>
      <span className="visually-hidden">{read ? "Read" : "Sent"}</span>
    </span>
  );
}
