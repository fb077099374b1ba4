import { typingText } from "../text";

/** "<name> is typing…" with animated dots. */
export function TypingDots({ name }: { name: string }) {
  return (
    <div className="typing" aria-live="polite">
      <span className="typing-dots" aria-hidden="true">
        <span />
        <span />
        <span />
      </span>
      <span>{typingText(name)}</span>
    </div>
  );
}
