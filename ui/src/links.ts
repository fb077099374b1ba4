// Splits message text into plain runs and http(s) links, as data. Rendering turns every
// part into React text (never HTML); a link part becomes a button that asks the shell to
// open the URL in the system browser.

export type TextPart = { kind: "text"; text: string } | { kind: "link"; text: string; url: string };

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'"]+$/;

/** A candidate's end: trailing punctuation and an unbalanced closing bracket are not part of a URL. */
function trimCandidate(candidate: string): string {
  let s = candidate.replace(TRAILING, "");
  for (;;) {
    const last = s.at(-1);
    const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
    const open = last ? pairs[last] : undefined;
    if (!open) break;
    const opens = s.split(open).length - 1;
    const closes = s.split(last as string).length - 1;
    if (closes <= opens) break;
    s = s.slice(0, -1).replace(TRAILING, "");
  }
  return s;
}

/** Only well-formed http and https URLs with a host count as links. */
export function safeUrl(text: string): string | null {
  try {
    const url = new URL(text);
    if ((url.protocol === "http:" || url.protocol === "https:") && url.hostname) return url.href;
  } catch {
    // not a URL
  }
  return null;
}

export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  const push = (t: string) => {
    if (!t) return;
    const prev = parts.at(-1);
    if (prev && prev.kind === "text") prev.text += t;
    else parts.push({ kind: "text", text: t });
  };
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index;
    const candidate = trimCandidate(match[0]);
    const url = safeUrl(candidate);
    if (!url) continue;
    push(text.slice(at, start));
    parts.push({ kind: "link", text: candidate, url });
    at = start + candidate.length;
  }
  push(text.slice(at));
  return parts;
}
