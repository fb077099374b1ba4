//! File names as kept and served: a name is never a path, never carries control or direction
//! characters (which can disguise `gpj.exe` as `exe.jpg`), and never a name Windows reserves.

use unicode_normalization::UnicodeNormalization;

/// Longest name kept, in characters (its extension kept whole)…
pub const MAX_CHARS: usize = 120;
/// …and in UTF-8 bytes: file systems count bytes (255 on most), and a saved copy may gain
/// ` (2)`.
pub const MAX_BYTES: usize = 200;

/// Characters Windows refuses in names, replaced.
const RESERVED_CHARS: &str = "<>:\"|?*";

/// Device names Windows opens instead of a file, whatever the extension.
const RESERVED_NAMES: [&str; 32] = [
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3",
    "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// Marks that change the direction or visibility of text without being seen.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// The name to keep for an uploaded file called `raw`.
pub fn sanitize(raw: &str) -> String {
    // The last part of any path, by either separator.
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .nfc()
        .filter(|c| !c.is_control() && !invisible(*c))
        .map(|c| if RESERVED_CHARS.contains(c) { '_' } else { c })
        .collect();
    let mut name = cleaned
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .to_owned();
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        name.insert(0, '_');
    }
    if name.chars().count() > MAX_CHARS || name.len() > MAX_BYTES {
        name = shorten(&name);
    }
    if name.is_empty() {
        "file".to_owned()
    } else {
        name
    }
}

/// Cuts the stem, keeping a short extension whole.
fn shorten(name: &str) -> String {
    let ext = match name.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && ext.chars().count() <= 10 => format!(".{ext}"),
        _ => String::new(),
    };
    let keep = MAX_CHARS - ext.chars().count();
    let mut stem = String::new();
    for c in name.chars().take(keep) {
        if stem.len() + c.len_utf8() + ext.len() > MAX_BYTES {
            break;
        }
        stem.push(c);
    }
    format!("{}{ext}", stem.trim_end_matches(['.', ' ']))
}

/// `Content-Disposition` for a download: always an attachment, the name in ASCII for old
/// clients and in full (RFC 5987) for the rest.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_never_a_path_nor_a_disguise() {
        assert_eq!(sanitize("../../etc/passwd"), "passwd");
        assert_eq!(sanitize("C:\\Users\\nurse\\care plan.pdf"), "care plan.pdf");
        assert_eq!(sanitize("wound\u{0}\u{7}\n.jpg"), "wound.jpg");
        assert_eq!(sanitize("photo\u{202E}gpj.exe"), "photogpj.exe");
        assert_eq!(sanitize("...hidden"), "hidden");
        assert_eq!(sanitize("a<b>:c?.txt"), "a_b__c_.txt");
        assert_eq!(sanitize("con.txt"), "_con.txt");
        assert_eq!(sanitize("   "), "file");
        assert_eq!(sanitize("/"), "file");
        let long = format!("{}.pdf", "x".repeat(500));
        let kept = sanitize(&long);
        assert_eq!(kept.chars().count(), MAX_CHARS);
        assert!(kept.ends_with(".pdf"));
        // Three bytes a character: cut by bytes, not only by characters.
        let cjk = format!("{}.pdf", "护".repeat(100));
        let kept = sanitize(&cjk);
        assert!(
            kept.len() <= MAX_BYTES && kept.ends_with(".pdf"),
            "{} bytes",
            kept.len()
        );
    }

    #[test]
    fn downloads_are_attachments_with_a_safe_name() {
        let d = content_disposition("Zoë \"plan\".pdf");
        assert!(
            d.starts_with("attachment; filename=\"Zo_ _plan_.pdf\""),
            "{d}"
        );
        assert!(
            d.ends_with("filename*=UTF-8''Zo%C3%AB%20%22plan%22.pdf"),
            "{d}"
        );
    }
}
