import type { Message } from "../bindings/Message";
import { formatTime, systemNotice } from "../text";

/** A SYSTEM message (call notices) as a centred line in words. */
export function SystemNotice({ message, highlighted }: { message: Message; highlighted?: boolean }) {
  return (
    <div className={highlighted ? "system-notice highlighted" : "system-notice"}>
      <span className="system-notice-text">{systemNotice(message.content)}</span>
      <time className="system-notice-time" dateTime={message.createdAt}>
        {formatTime(message.createdAt)}
      </time>
    </div>
  );
}
