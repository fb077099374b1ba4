import { useEffect, useId, useRef, type KeyboardEvent } from "react";
import { SearchHitRow } from "../components/SearchHitRow";
import * as actions from "../store/actions";
import { useStore } from "../store/store";
import { displayName } from "../text";

export const SEARCH_MIN_CHARS = 2;

/** The "Search messages" box above the list. Escape clears it. */
export function SearchBox() {
  const query = useStore((s) => s.search.query);
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);

  // As the nurse types: at most one search per frame (keys typed within a frame are one
  // query), and actions.runSearch runs one at a time, skipping queries typed past.
  useEffect(() => {
    if (query.trim().length < SEARCH_MIN_CHARS) return;
    const frame = requestAnimationFrame(() => void actions.runSearch(query));
    return () => cancelAnimationFrame(frame);
  }, [query]);

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Escape") {
      e.preventDefault();
      actions.setSearchQuery("");
    } else if (e.key === "ArrowDown") {
      const first = document.querySelector<HTMLButtonElement>(".search-hit-button, .conversation-row");
      if (first) {
        e.preventDefault();
        first.focus();
      }
    }
  };

  return (
    <div className="search-box">
      <label htmlFor={id} className="visually-hidden">
        Search messages
      </label>
      <input
        id={id}
        ref={inputRef}
        type="search"
        placeholder="Search messages"
        autoComplete="off"
        spellCheck={false}
        value={query}
        onChange={(e) => actions.setSearchQuery(e.target.value)}
        onKeyDown={onKeyDown}
      />
    </div>
  );
}

/** Whether the results replace the conversation list. */
export const isSearching = (query: string) => query.trim().length >= SEARCH_MIN_CHARS;

/** The hits, newest matches as the core ranks them; choosing one opens the thread there. */
export function SearchResults() {
  const search = useStore((s) => s.search);
  const conversations = useStore((s) => s.conversations);

  const nameOf = (conversationId: number) =>
    displayName(conversations.find((c) => c.id === conversationId)?.other ?? null);

  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key === "Escape") {
      e.preventDefault();
      actions.setSearchQuery("");
      document.querySelector<HTMLInputElement>(".search-box input")?.focus();
    } else {
      moveFocus(e, ".search-hit-button");
    }
  };

  return (
    <div className="search-results" onKeyDown={onKeyDown}>
      <p className="list-status" aria-live="polite">
        {search.status === "loading" && search.hits.length === 0
          ? "Searching…"
          : search.status === "error"
            ? search.error
            : search.status === "ready" && search.hits.length === 0
              ? "No messages found."
              : search.status === "ready"
                ? `${search.hits.length === 1 ? "1 message" : `${search.hits.length} messages`} found`
                : ""}
      </p>
      <ul
        role="list"
        aria-label="Search results"
        className="search-hits"
        data-results-for={search.status === "ready" ? search.query : undefined}
      >
        {search.hits.map((hit) => (
          <SearchHitRow
            key={hit.message.id}
            hit={hit}
            name={nameOf(hit.message.conversationId)}
            onOpen={(h) => void actions.openHit(h)}
          />
        ))}
      </ul>
    </div>
  );
}

/** Arrow keys move between the buttons of a list. */
export function moveFocus(e: KeyboardEvent<HTMLElement>, selector: string): void {
  if (e.key !== "ArrowDown" && e.key !== "ArrowUp" && e.key !== "Home" && e.key !== "End") return;
  const buttons = [...e.currentTarget.querySelectorAll<HTMLButtonElement>(selector)];
  if (buttons.length === 0) return;
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
  let next: number;
  if (e.key === "ArrowDown") next = Math.min(at + 1, buttons.length - 1);
  else if (e.key === "ArrowUp") next = Math.max(at - 1, 0);
  else if (e.key === "Home") next = 0;
  else next = buttons.length - 1;
  e.preventDefault();
  buttons[next]?.focus();
}
