import type { SearchHit } from "../bindings/SearchHit";
import { hitDate } from "../text";

type Props = { hit: SearchHit; name: string; onOpen: (hit: SearchHit) => void };

/** One search result: who, when, and the snippet with the matched words marked. */
export function SearchHitRow({ hit, name, onOpen }: Props) {
  return (
    <li className="search-hit">
      <button type="button" className="search-hit-button" onClick={() => onOpen(hit)}>
        <span className="search-hit-top">
          <span className="search-hit-name">{name}</span>
          <time className="search-hit-date" dateTime={hit.message.createdAt}>
            {hitDate(hit.message.createdAt)}
          </time>
        </span>
        <span className="search-hit-snippet">
          {hit.snippet.map((part, i) => (part.hit ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
        </span>
      </button>
    </li>
  );
}
