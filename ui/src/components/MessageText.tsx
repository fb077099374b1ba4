import { useMemo } from "react";
import { splitLinks } from "../links";

/**
 * Message text, always as text. http(s) links are buttons that ask the shell to open the
 * system browser: the webview never navigates.
 */
export function MessageText({ text, onOpenLink }: { text: string; onOpenLink: (url: string) => void }) {
  const parts = useMemo(() => splitLinks(text), [text]);
  return (
    <span className="message-text">
      {parts.map((part, i) =>
        part.kind === "text" ? (
          <span key={i}>{part.text}</span>
        ) : (
          <button
            key={i}
            type="button"
            className="link-button"
            title={`Open ${part.url} in your browser`}
            onClick={() => onOpenLink(part.url)}
          >
            {part.text}
          </button>
        ),
      )}
    </span>
  );
}
