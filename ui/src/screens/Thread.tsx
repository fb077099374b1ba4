import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Avatar } from "../components/Avatar";
import { CallClock } from "../components/CallClock";
import { CallHistory } from "../components/CallHistory";
import { Composer } from "../components/Composer";
import { FilesPanel } from "../components/FilesPanel";
import type { ChatFile } from "../bindings/ChatFile";
import { DaySeparator } from "../components/DaySeparator";
import { MessageBubble } from "../components/MessageBubble";
import { OutboxBubble } from "../components/OutboxBubble";
import { SystemNotice } from "../components/SystemNotice";
import { TypingDots } from "../components/TypingDots";
import { UnreadMarker } from "../components/UnreadMarker";
import type { ConversationSummary } from "../bindings/ConversationSummary";
import * as actions from "../store/actions";
import { buildRows, conversationName, outboxFor, selectInACall, type Row } from "../store/selectors";
import { useStore } from "../store/store";
import type { Message } from "../bindings/Message";
import { messageSummary, presenceText, roleLabel } from "../text";

/** Start loading the previous page when this close to the top (px). */
const LOAD_OLDER_PX = 600;
/** Farther than this from the bottom shows "Jump to latest" (px). */
const JUMP_PX = 400;
/** Closer than this to the bottom follows the newest message (px). */
const FOLLOW_PX = 120;

/** The open chat: header, messages (virtualised), typing, composer. */
const onThumbnail = (f: ChatFile) => void actions.loadThumbnail(f.file.id, f.file.mimetype);

export function Thread({ summary }: { summary: ConversationSummary }) {
  const id = summary.id;
  const name = conversationName(summary);
  const presence = useStore((s) => (summary.other ? s.presence[summary.other.id] : undefined));
  const typingIds = useStore((s) => s.typing[id]);
  const draft = useStore((s) => s.drafts[id]);
  const composerError = useStore((s) => s.composerErrors[id]);
  const thread = useStore((s) => s.threads[id]);
  const callHere = useStore((s) => s.myCall);
  // A call left offline is over for the user: Call tells the server of it first.
  const inACall = useStore(selectInACall);
  const historyOpen = useStore((s) => s.historyOpen === id);
  const calls = useStore((s) => s.callHistory[id]);
  const callEvents = useStore((s) => s.calls.length);
  const me = useStore((s) => s.me);
  const filesOpen = useStore((s) => s.filesOpen === id);
  const files = useStore((s) => s.files[id]);
  const thumbnails = useStore((s) => s.thumbnails);
  const allTransfers = useStore((s) => s.transfers);
  const transfers = allTransfers.filter((t) => t.conversationId === id);

  // An open history follows the calls as they change.
  useEffect(() => {
    if (historyOpen) void actions.loadCallHistory(id);
  }, [historyOpen, id, callEvents, callHere]);

  useEffect(() => {
    if (!thread) void actions.loadLatest(id);
  }, [id, thread]);

  const typingName = typingIds && typingIds.length > 0 ? name : null;
  const presenceLine = presenceText(presence);

  return (
    <section className="thread" aria-label={`Chat with ${name}`}>
      <header className="thread-header">
        <Avatar name={name} online={presence?.online} />
        <div className="thread-title">
          <h2>{name}</h2>
          <p className="thread-subtitle">
            {summary.other ? <span className="role-badge-inline">{roleLabel(summary.other.role)}</span> : null}
            {presenceLine ? (
              <span className={presence?.online ? "presence online" : "presence"}>{presenceLine}</span>
            ) : null}
          </p>
        </div>
        {callHere && callHere.conversationId === id && callHere.phase === "inCall" && callHere.inCallSince ? (
          <CallClock since={callHere.inCallSince} />
        ) : null}
        <button
          type="button"
          className="primary-button call-button"
          disabled={inACall}
          title={inACall ? "You are in a call" : `Start a video call with ${name}`}
          onClick={() => actions.startCall(id)}
        >
          Call
        </button>
        <button
          type="button"
          className="secondary-button"
          aria-expanded={historyOpen}
          onClick={() => actions.showCallHistory(historyOpen ? null : id)}
        >
          Calls
        </button>
        <button
          type="button"
          className="secondary-button"
          aria-expanded={filesOpen}
          onClick={() => actions.showFiles(filesOpen ? null : id)}
        >
          Files{transfers.length > 0 ? ` (${transfers.length})` : ""}
        </button>
        <button
          type="button"
          className="secondary-button"
          onClick={() => actions.setMuted(id, !summary.muted)}
          title={summary.muted ? "Notifications are off for this chat" : "Turn off notifications for this chat"}
        >
          {summary.muted ? "Unmute" : "Mute"}
        </button>
      </header>
      {historyOpen ? <CallHistory calls={calls} me={me} onClose={() => actions.showCallHistory(null)} /> : null}
      {filesOpen ? (
        <FilesPanel
          files={files}
          thumbnails={thumbnails}
          onThumbnail={onThumbnail}
          transfers={transfers}
          me={me}
          onAttach={() => void actions.attachFiles(id)}
          onOpen={(f) => void actions.openFile(id, f.file.id, f.file.filename)}
          onDelete={(f) => actions.deleteFile(id, f.file.id)}
          onCancel={actions.cancelTransfer}
          onClose={() => actions.showFiles(null)}
        />
      ) : null}
      <MessageList conversationId={id} otherName={name} />
      <div className="typing-slot">{typingName ? <TypingDots name={typingName} /> : null}</div>
      <Composer key={id} conversationId={id} initialText={draft ?? summary.draft ?? ""} error={composerError} />
    </section>
  );
}

function estimate(row: Row | undefined): number {
  if (!row) return 60;
  const above = row.kind === "start" ? 0 : (row.day ? 40 : 0) + (row.kind === "message" && row.unread ? 40 : 0);
  switch (row.kind) {
    case "start":
      return 40;
    case "message":
      return above + (row.message.type === "SYSTEM" ? 44 : row.firstOfGroup && !row.mine ? 84 : 64);
    case "outbox":
      return above + 72;
  }
}

/** The messages of one chat, newest at the bottom, older pages loaded on the way up. */
function MessageList({ conversationId, otherName }: { conversationId: number; otherName: string }) {
  const thread = useStore((s) => s.threads[conversationId]);
  const me = useStore((s) => s.me);
  const outbox = useStore((s) => s.outbox);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [awayFromEnd, setAwayFromEnd] = useState(false);

  const pending = useMemo(() => outboxFor(outbox, conversationId), [outbox, conversationId]);
  const today = useToday();
  const rows = useMemo(() => {
    const built = buildRows(thread?.messages ?? [], thread?.hasNewer ? [] : pending, me, thread?.unreadMarkerId ?? null, today);
    if (thread?.reachedStart && built.length > 0) built.unshift({ kind: "start", key: "start" });
    return built;
  }, [thread?.messages, thread?.hasNewer, thread?.unreadMarkerId, thread?.reachedStart, pending, me, today]);

  // The app does not use the React Compiler; the virtualizer re-renders this list itself.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => estimate(rows[i]),
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 10,
    directDomUpdates: true,
    anchorTo: "end",
    followOnAppend: true,
    // Follow an append whenever the view counts as following (not only at the last pixel: a
    // row measured after it landed, or the banner appearing, leaves it a little short).
    scrollEndThreshold: FOLLOW_PX,
  });

  // The banner or the composer changing the view's height must not leave a following thread
  // short of its newest message (the next append would then not follow either).
  const following = thread?.following ?? true;
  const followingRef = useRef(following);
  followingRef.current = following;
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    let height = el.clientHeight;
    const observer = new ResizeObserver(() => {
      if (el.clientHeight === height) return;
      height = el.clientHeight;
      if (followingRef.current) virtualizer.scrollToEnd({ behavior: "auto" });
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [virtualizer]);

  // Open at the newest message, or at the search hit, or at the "New messages" marker.
  const positioned = useRef<string | null>(null);
  const ready = thread?.status === "ready";
  const highlightId = thread?.highlightId ?? null;
  useLayoutEffect(() => {
    if (!ready || rows.length === 0) return;
    const target = highlightId !== null ? `hit:${highlightId}` : "end";
    const place = `${conversationId}:${target}`;
    if (positioned.current === place) return;
    positioned.current = place;
    if (highlightId !== null) {
      const index = rows.findIndex((r) => r.kind === "message" && r.message.id === highlightId);
      if (index >= 0) virtualizer.scrollToIndex(index, { align: "center" });
      // The chosen result is gone with the results list: keyboard focus goes to the messages.
      scrollRef.current?.focus({ preventScroll: true });
      return;
    }
    const marker = rows.findIndex((r) => r.kind === "message" && r.unread);
    if (marker > 3) virtualizer.scrollToIndex(marker, { align: "start" });
    else virtualizer.scrollToIndex(rows.length - 1, { align: "end" });
  }, [ready, rows, highlightId, conversationId, virtualizer]);

  const checkPosition = useCallback(() => {
    const el = scrollRef.current;
    if (!el || !thread) return;
    const fromEnd = el.scrollHeight - el.scrollTop - el.clientHeight;
    setAwayFromEnd(fromEnd > JUMP_PX);
    actions.setFollowing(conversationId, fromEnd < FOLLOW_PX && !thread.hasNewer);
    if (el.scrollTop < LOAD_OLDER_PX && thread.status === "ready" && !thread.reachedStart && !thread.loadingOlder) {
      void actions.loadOlder(conversationId);
    }
  }, [thread, conversationId]);

  // A short first page that does not fill the view: fetch more right away.
  useEffect(() => {
    const el = scrollRef.current;
    if (!el || !thread || thread.status !== "ready" || thread.reachedStart || thread.loadingOlder) return;
    if (el.clientHeight > 0 && el.scrollHeight <= el.clientHeight + LOAD_OLDER_PX) {
      void actions.loadOlder(conversationId);
    }
  }, [thread, conversationId]);

  const jumpToLatest = () => {
    if (thread?.hasNewer) {
      positioned.current = null;
      actions.clearHighlight(conversationId);
      void actions.loadLatest(conversationId);
      return;
    }
    virtualizer.scrollToEnd({ behavior: "auto" });
    setAwayFromEnd(false);
  };

  const items = virtualizer.getVirtualItems();
  const announcement = useNewMessageAnnouncement(thread?.messages, me, otherName);

  return (
    <div className="message-area">
      <div
        ref={scrollRef}
        className="message-scroller"
        role="log"
        aria-label="Messages"
        aria-live="off"
        aria-busy={thread?.status === "loading" || thread?.loadingOlder ? true : undefined}
        tabIndex={0}
        onScroll={checkPosition}
      >
        {thread?.status === "loading" && rows.length === 0 ? <p className="thread-status">Loading messages…</p> : null}
        {thread?.status === "error" ? (
          <div className="thread-status" role="alert">
            <p>{thread.error}</p>
            <button type="button" className="secondary-button" onClick={() => void actions.loadLatest(conversationId)}>
              Try again
            </button>
          </div>
        ) : null}
        {thread?.status === "ready" && rows.length === 0 ? (
          <p className="thread-status">No messages yet. Say hello.</p>
        ) : null}
        <div ref={virtualizer.containerRef} className="message-canvas">
          {items.map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <div key={item.key} data-index={item.index} ref={virtualizer.measureElement} className="message-row">
                <RowView row={row} highlightId={highlightId} otherName={otherName} />
              </div>
            );
          })}
        </div>
      </div>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {thread?.loadingOlder ? (
        <p className="thread-loading-older" aria-live="polite">
          Loading earlier messages…
        </p>
      ) : null}
      {thread?.status === "ready" && thread.error ? (
        <div className="thread-loading-older" role="alert">
          {thread.error}
        </div>
      ) : null}
      {awayFromEnd || thread?.hasNewer ? (
        <button type="button" className="jump-latest" onClick={jumpToLatest}>
          Jump to latest
        </button>
      ) : null}
    </div>
  );
}

/** Now, moved on at each midnight, so "Today" and "Yesterday" stay true in an open window. */
function useToday(): Date {
  const [today, setToday] = useState(() => new Date());
  useEffect(() => {
    const next = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1, 0, 0, 1);
    const timer = setTimeout(() => setToday(new Date()), Math.max(1000, next.getTime() - Date.now()));
    return () => clearTimeout(timer);
  }, [today]);
  return today;
}

/**
 * The message log is not a live region (its rows mount and unmount as it scrolls); this says
 * a newly arrived message from the other person once, for screen readers.
 */
function useNewMessageAnnouncement(messages: Message[] | undefined, me: number | null, otherName: string): string {
  const [text, setText] = useState("");
  const lastId = useRef<number | null>(null);
  const newest = messages && messages.length > 0 ? messages[messages.length - 1] : undefined;
  useEffect(() => {
    if (!newest) return;
    const previous = lastId.current;
    lastId.current = newest.id;
    // The first page is not news; only a message after the one seen last is.
    if (previous === null || newest.id === previous || newest.senderId === me) return;
    setText(`${newest.sender.name?.trim() || otherName}: ${messageSummary(newest)}`);
  }, [newest, me, otherName]);
  return text;
}

function RowView({ row, highlightId, otherName }: { row: Row; highlightId: number | null; otherName: string }) {
  switch (row.kind) {
    case "start":
      return <p className="thread-start">This is the start of your conversation.</p>;
    case "outbox":
      return (
        <>
          {row.day ? <DaySeparator label={row.day} /> : null}
          <OutboxBubble item={row.item} onRetry={actions.retry} onDiscard={actions.discard} onOpenLink={actions.openLink} />
        </>
      );
    case "message":
      return (
        <>
          {row.day ? <DaySeparator label={row.day} /> : null}
          {row.unread ? <UnreadMarker /> : null}
          {row.message.type === "SYSTEM" ? (
            <SystemNotice message={row.message} highlighted={row.message.id === highlightId} />
          ) : (
            <MessageBubble
              message={row.message}
              mine={row.mine}
              senderName={row.firstOfGroup && !row.mine ? row.message.sender.name?.trim() || otherName : null}
              highlighted={row.message.id === highlightId}
              onOpenLink={actions.openLink}
            />
          )}
        </>
      );
  }
}
