//! Search hits as the UI shows them: the message (with its conversation), and a snippet of its
//! text around the match as plain parts, matched or not — never markup, so the UI renders
//! text and nothing a message says can become HTML.

use crate::cache::{HIT_END, HIT_START};
use nursecare_wire::Message;
use serde::Serialize;

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct SearchHit {
    /// The message (its `conversationId` says where; `Client::around` loads its neighbours).
    pub message: Message,
    /// Its text around the match, in parts.
    pub snippet: Vec<SnippetPart>,
}

/// A run of snippet text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[derive(ts_rs::TS)]
pub struct SnippetPart {
    /// The text.
    pub text: String,
    /// Whether it matched the query.
    pub hit: bool,
}

/// Splits a marked snippet into parts.
pub(crate) fn parts(marked: &str) -> Vec<SnippetPart> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut hit = false;
    for c in marked.chars() {
        let flip = match c {
            HIT_START => !hit,
            HIT_END => hit,
            _ => false,
        };
        if flip {
            if !text.is_empty() {
                out.push(SnippetPart {
                    text: std::mem::take(&mut text),
                    hit,
                });
            }
            hit = !hit;
        } else if c != HIT_START && c != HIT_END {
            text.push(c);
        }
    }
    if !text.is_empty() {
        out.push(SnippetPart { text, hit });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_become_plain_parts() {
        let p = parts("…take \u{2}paracetamol\u{3} with \u{2}food\u{3}");
        let shown: Vec<_> = p.iter().map(|x| (x.text.as_str(), x.hit)).collect();
        assert_eq!(
            shown,
            [
                ("…take ", false),
                ("paracetamol", true),
                (" with ", false),
                ("food", true)
            ]
        );
        // Stray markers never leave the text or nest.
        let p = parts("a\u{3}b\u{2}\u{2}c");
        let shown: Vec<_> = p.iter().map(|x| (x.text.as_str(), x.hit)).collect();
        assert_eq!(shown, [("ab", false), ("c", true)]);
    }
}
