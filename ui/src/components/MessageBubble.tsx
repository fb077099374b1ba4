import type { Message } from "../bindings/Message";
import { attachmentLabel, formatTime } from "../text";
import { MessageText } from "./MessageText";
import { ReadTicks } from "./ReadTicks";

type Props = {
  message: Message;
  mine: boolean;
  /** The sender's name to show above (first of a run from the other person), else null. */
  senderName: string | null;
  highlighted: boolean;
  onOpenLink: (url: string) => void;
};

/** One TEXT/IMAGE/FILE message: mine on the right with read ticks, theirs on the left. */
export function MessageBubble({ message, mine, senderName, highlighted, onOpenLink }: Props) {
  const classes = ["bubble-row", mine ? "mine" : "theirs"];
  if (highlighted) classes.push("highlighted");
  if (message.urgent) classes.push("urgent");
  const attachment = message.type === "IMAGE" || message.type === "FILE";
  return (
    <div className={classes.join(" ")}>
      {senderName ? <div className="bubble-sender">{senderName}</div> : null}
      {message.urgent ? <div className="urgent-label">Urgent</div> : null}
      <div className={attachment ? "bubble attachment" : "bubble"}>
        {attachment ? (
          <span className="attachment-label">{attachmentLabel(message)}</span>
        ) : (
          <MessageText text={message.content} onOpenLink={onOpenLink} />
        )}
      </div>
      <div className="bubble-meta">
        <time dateTime={message.createdAt}>{formatTime(message.createdAt)}</time>
        {mine ? <ReadTicks read={message.read} /> : null}
        {/* The sender of an urgent message sees when it was read. */}
        {mine && message.urgent && message.readAt ? <span className="read-at">Read {formatTime(message.readAt)}</span> : null}
      </div>
    </div>
  );
}
