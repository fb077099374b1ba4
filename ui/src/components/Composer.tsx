import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import * as actions from "../store/actions";
import { useStore } from "../store/store";

type Props = {
  conversationId: number;
  /** The draft to start from (mount one Composer per chat: key it by the conversation). */
  initialText: string;
  error: string | undefined;
};

const DRAFT_DELAY_MS = 400;

/** The message box: Enter sends, Shift+Enter starts a new line; the draft is kept per chat. */
export function Composer({ conversationId, initialText, error }: Props) {
  const [text, setText] = useState(initialText);
  // Offered only where the server takes urgent messages (ours, online; never production).
  const canUrgent = useStore((s) => s.connection.urgent);
  const [urgent, setUrgent] = useState(false);
  const urgentId = useId();
  // What the box holds now (a send resolves after more may have been typed).
  const latest = useRef(initialText);
  const [sending, setSending] = useState(false);
  const draftTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const pendingDraft = useRef<string | null>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const errorId = useId();
  const inputId = useId();

  // Leaving the chat saves a draft that was still waiting.
  useEffect(() => {
    return () => {
      if (draftTimer.current) clearTimeout(draftTimer.current);
      if (pendingDraft.current !== null) actions.saveDraft(conversationId, pendingDraft.current);
    };
  }, [conversationId]);

  // Grow with the text, up to the CSS max-height (a DOM property, allowed by the CSP).
  useEffect(() => {
    const el = inputRef.current;
    if (!el) return;
    el.style.height = "auto";
    const borders = el.offsetHeight - el.clientHeight;
    el.style.height = `${el.scrollHeight + borders}px`;
  }, [text]);

  const scheduleDraft = (value: string) => {
    pendingDraft.current = value;
    if (draftTimer.current) clearTimeout(draftTimer.current);
    draftTimer.current = setTimeout(() => {
      draftTimer.current = null;
      pendingDraft.current = null;
      actions.saveDraft(conversationId, value);
    }, DRAFT_DELAY_MS);
  };

  const change = (value: string) => {
    latest.current = value;
    setText(value);
    actions.draftTyped(conversationId, value);
    actions.clearComposerError(conversationId);
    if (value.length > 0) actions.keystroke(conversationId);
    else actions.stopTyping(conversationId);
    scheduleDraft(value);
  };

  const submit = async () => {
    const sent = text;
    if (sent.trim().length === 0 || sending) return;
    setSending(true);
    const ok = await actions.send(conversationId, sent, urgent && canUrgent);
    setSending(false);
    if (ok) {
      setUrgent(false);
      if (draftTimer.current) clearTimeout(draftTimer.current);
      draftTimer.current = null;
      pendingDraft.current = null;
      const now = latest.current;
      if (now === sent) {
        latest.current = "";
        setText("");
        actions.saveDraft(conversationId, "");
      } else {
        // Typed while the message went out: that text stays, as the draft too.
        actions.draftTyped(conversationId, now);
        actions.saveDraft(conversationId, now);
      }
    }
    inputRef.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit();
  };

  return (
    <form className="composer" onSubmit={onSubmit}>
      {error ? (
        <div role="alert" id={errorId} className="composer-error">
          {error}
        </div>
      ) : null}
      <div className="composer-row">
        <label htmlFor={inputId} className="visually-hidden">
          Message
        </label>
        <textarea
          id={inputId}
          ref={inputRef}
          className="composer-input"
          rows={1}
          value={text}
          placeholder="Type a message…"
          aria-describedby={error ? errorId : undefined}
          aria-invalid={error ? true : undefined}
          onChange={(e) => change(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="button" className="secondary-button attach-button" onClick={() => void actions.attachFiles(conversationId)} title="Share a photo or a document in this chat">
          Attach
        </button>
        {canUrgent ? (
          <label className={urgent ? "urgent-toggle on" : "urgent-toggle"} htmlFor={urgentId} title="The other side is alerted again every 2 minutes until they read it">
            <input id={urgentId} type="checkbox" checked={urgent} onChange={(e) => setUrgent(e.target.checked)} />
            Urgent
          </label>
        ) : null}
        <button type="submit" className="send-button" disabled={sending || text.trim().length === 0}>
          {urgent && canUrgent ? "Send urgent" : "Send"}
        </button>
      </div>
    </form>
  );
}
