/** The first letter of a name in a circle, with an online dot. */
export function Avatar({ name, online }: { name: string; online?: boolean }) {
  const letter = (name.trim()[0] ?? "?").toUpperCase();
  return (
    <span className="avatar" aria-hidden="true">
      {letter}
      {online ? <span className="online-dot" /> : null}
    </span>
  );
}
