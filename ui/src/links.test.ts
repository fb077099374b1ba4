import { describe, expect, it } from "vitest";
import { splitLinks } from "./links";

describe("splitLinks", () => {
  it("keeps plain text as one part", () => {
    expect(splitLinks("hello there")).toEqual([{ kind: "text", text: "hello there" }]);
    expect(splitLinks("")).toEqual([]);
  });

  it("finds http and https links between text", () => {
    expect(splitLinks("see https://example.org/a?b=1 and http://x.test.")).toEqual([
      { kind: "text", text: "see " },
      { kind: "link", text: "https://example.org/a?b=1", url: "https://example.org/a?b=1" },
      { kind: "text", text: " and " },
      { kind: "link", text: "http://x.test", url: "http://x.test/" },
      { kind: "text", text: "." },
    ]);
  });

  it("leaves trailing punctuation and unbalanced brackets out of a link", () => {
    expect(splitLinks("(https://example.org/wiki/A_(b)), ok")).toEqual([
      { kind: "text", text: "(" },
      { kind: "link", text: "https://example.org/wiki/A_(b)", url: "https://example.org/wiki/A_(b)" },
      { kind: "text", text: "), ok" },
    ]);
  });

  it("never makes links of other schemes", () => {
    expect(splitLinks("javascript:alert(1) file:///etc/passwd ftp://x")).toEqual([
      { kind: "text", text: "javascript:alert(1) file:///etc/passwd ftp://x" },
    ]);
  });

  it("keeps markup as text", () => {
    const evil = "<img src=x onerror=alert(1)>";
    expect(splitLinks(evil)).toEqual([{ kind: "text", text: evil }]);
    expect(splitLinks('<a href="https://e.org">x</a>')).toEqual([
      { kind: "text", text: '<a href="' },
      { kind: "link", text: "https://e.org", url: "https://e.org/" },
      { kind: "text", text: '">x</a>' },
    ]);
  });
});
