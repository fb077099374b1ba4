import { useEffect, useLayoutEffect, useState, type KeyboardEvent } from "react";
import { ConversationRow } from "../components/ConversationRow";
import * as startTimes from "../startTimes";
import * as actions from "../store/actions";
import { useStore } from "../store/store";
import { isSearching, moveFocus, SearchBox, SearchResults } from "./Search";

/** The left column: search, then the conversation list (or the search results). */
export function Conversations() {
  const conversations = useStore((s) => s.conversations);
  const me = useStore((s) => s.me);
  const open = useStore((s) => s.open);
  const presence = useStore((s) => s.presence);
  const drafts = useStore((s) => s.drafts);
  const hasSnapshot = useStore((s) => s.hasSnapshot);
  const firstPaintSent = useStore((s) => s.firstPaintSent);
  const query = useStore((s) => s.search.query);
  const unreadTotal = useStore((s) => s.unreadTotal);
  const settingsOpen = useStore((s) => s.settingsOpen);
  // One Tab stop for the whole list (the row last focused, else the open chat, else the
  // first): Tab goes past the list to the chat, arrows move within it.
  const [focused, setFocused] = useState<number | null>(null);
  const ids = conversations.map((c) => c.id);
  const tabStop = [focused, open, ids[0]].find((id) => id != null && ids.includes(id)) ?? null;

  // The shell times start-up to the first paint of the list from the snapshot (and, apart,
  // to the list being in the page, before its layout and paint).
  useLayoutEffect(() => {
    if (!hasSnapshot || firstPaintSent) return;
    startTimes.mark("rendered");
    // Style and layout now rather than in the next frame (the same work, done once), so the
    // start-up steps tell layout from paint.
    void document.body.offsetHeight;
    startTimes.mark("laidOut");
  }, [hasSnapshot, firstPaintSent]);
  useEffect(() => {
    if (!hasSnapshot || firstPaintSent) return;
    // Painted: a task queued from the next frame's callback runs after that frame's paint.
    let cancelled = false;
    const frame = requestAnimationFrame(() => {
      const after = new MessageChannel();
      after.port1.onmessage = () => {
        if (!cancelled) actions.firstPaintDone();
      };
      after.port2.postMessage(null);
    });
    return () => {
      cancelled = true;
      cancelAnimationFrame(frame);
    };
  }, [hasSnapshot, firstPaintSent]);

  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => moveFocus(e, ".conversation-row");

  return (
    <nav className="sidebar" aria-label="Chats">
      <div className="sidebar-header">
        <h1 className="sidebar-title">
          Messages
          {unreadTotal > 0 ? <span className="sidebar-new">{unreadTotal} new</span> : null}
        </h1>
        <div className="sidebar-actions">
          <button type="button" className="icon-button" title="Lock NurseCare (Ctrl+L)" onClick={actions.lockNow}>
            Lock
          </button>
          <button
            type="button"
            className={settingsOpen ? "icon-button active" : "icon-button"}
            aria-expanded={settingsOpen}
            data-settings-toggle
            onClick={() => actions.openSettings(!settingsOpen)}
          >
            Settings
          </button>
        </div>
      </div>
      <SearchBox />
      {isSearching(query) ? (
        <SearchResults />
      ) : (
        <div className="conversation-list-wrap" onKeyDown={onKeyDown}>
          {hasSnapshot && conversations.length === 0 ? (
            <p className="list-status">No conversations yet. When a nurse or patient writes to you, the chat appears here.</p>
          ) : null}
          {!hasSnapshot ? <p className="list-status">Loading conversations…</p> : null}
          <ul role="list" aria-label="Conversations" className="conversation-list">
            {conversations.map((c) => (
              <ConversationRow
                key={c.id}
                summary={c}
                me={me}
                draft={c.id === open ? "" : drafts[c.id]}
                online={c.other ? (presence[c.other.id]?.online ?? false) : false}
                missedCall={c.missedCall}
                selected={c.id === open}
                tabStop={c.id === tabStop}
                onSelect={actions.selectConversation}
                onFocusRow={setFocused}
              />
            ))}
          </ul>
        </div>
      )}
    </nav>
  );
}
