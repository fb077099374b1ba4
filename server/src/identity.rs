//! How names and emails are kept: a name arrived with a NUL, a right-to-left override and a
//! newline and was stored as sent; `Chloe.Martin@…` registered beside `chloe.martin@…` as a
//! second account.
//!
//! An email is kept in its canonical form ([`canonical_email`]: trimmed, lowercase), so lookups
//! and the uniqueness of accounts ignore case; the store applies it on every write and lookup.
//! A display name is normalised ([`display_name`]: Unicode NFC, whitespace runs made one space,
//! trimmed) and refused with control characters or bidirectional overrides and isolates, which
//! can make a name read as someone else's in every list that shows it.

use unicode_normalization::UnicodeNormalization;

/// Longest display name, in characters.
pub const MAX_NAME: usize = 200;

/// The form an email is stored and looked up in.
pub fn canonical_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// The name to keep, or what is wrong with it.
pub fn display_name(raw: &str) -> Result<String, String> {
    if let Some(c) = raw.chars().find(|&c| forbidden_in_name(c)) {
        return Err(format!(
            "name must not contain control or text-direction characters (found U+{:04X})",
            c as u32
        ));
    }
    let name = raw
        .nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        return Err("name must not be blank".to_owned());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("name must be at most {MAX_NAME} characters"));
    }
    Ok(name)
}

/// Control characters (NUL, newline, tab…), line and paragraph separators, the byte-order
/// mark, and the bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069).
/// Left-to-right and right-to-left marks stay allowed: names mixing scripts need them.
fn forbidden_in_name(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_ignore_case() {
        assert_eq!(
            canonical_email(" Chloe.Martin@NurseCare.test "),
            "chloe.martin@nursecare.test"
        );
    }

    #[test]
    fn names_are_normalised_and_refused_with_hidden_characters() {
        assert_eq!(display_name("  Amara   Okafor ").unwrap(), "Amara Okafor");
        // Decomposed "e" + combining diaeresis becomes the one character "ë".
        assert_eq!(display_name("Zoe\u{0308} Ng").unwrap(), "Zoë Ng");
        assert_eq!(
            display_name("محمد\u{200F} Ali").unwrap(),
            "محمد\u{200F} Ali"
        );
        for bad in [
            "Dan\u{0}iel",
            "Daniel\nKim",
            "Daniel\tKim",
            "Nurse \u{202E}nimdA",
            "x\u{2066}y",
            "\u{FEFF}Ben",
            "a\u{2028}b",
        ] {
            assert!(display_name(bad).is_err(), "{bad:?}");
        }
        assert!(display_name("   ").is_err());
        assert!(display_name(&"é".repeat(MAX_NAME)).is_ok());
        assert!(display_name(&"é".repeat(MAX_NAME + 1)).is_err());
    }
}
