/** "Today", "Yesterday" or a date between the messages of different days. */
export function DaySeparator({ label }: { label: string }) {
  return (
    <div className="day-separator">
      <span>{label}</span>
    </div>
  );
}
