//! What a file is, decided from its bytes: the allowlist of kinds a clinic shares (photos,
//! PDFs, plain text, today's office documents), each with the extensions its name may end in.
//!
//! The declared type and the name alone decide nothing: a renamed executable is refused, and
//! a name whose extension does not match the content is refused too (a text file named
//! `.bat` would run when opened). Legacy binary Office files (`.doc`, `.xls`: OLE2) are not
//! on the list: they carry macros and cannot be told apart by their first bytes.

/// How many leading bytes the decision reads.
pub const SNIFF: usize = 64 * 1024;

/// An allowed kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The type stored and served.
    pub mime: &'static str,
    /// What a person calls it (in the error for a mismatched name).
    pub label: &'static str,
    /// Extensions the name may end in (lower case); the first is added to a name with none.
    pub extensions: &'static [&'static str],
}

const JPEG: Kind = Kind {
    mime: "image/jpeg",
    label: "a JPEG image",
    extensions: &["jpg", "jpeg"],
};
const PNG: Kind = Kind {
    mime: "image/png",
    label: "a PNG image",
    extensions: &["png"],
};
const GIF: Kind = Kind {
    mime: "image/gif",
    label: "a GIF image",
    extensions: &["gif"],
};
const WEBP: Kind = Kind {
    mime: "image/webp",
    label: "a WebP image",
    extensions: &["webp"],
};
const HEIC: Kind = Kind {
    mime: "image/heic",
    label: "a HEIC photo",
    extensions: &["heic", "heif"],
};
const PDF: Kind = Kind {
    mime: "application/pdf",
    label: "a PDF document",
    extensions: &["pdf"],
};
const TEXT: Kind = Kind {
    mime: "text/plain",
    label: "plain text",
    extensions: &["txt", "text", "log", "md"],
};
const CSV: Kind = Kind {
    mime: "text/csv",
    label: "a CSV table",
    extensions: &["csv"],
};
const DOCX: Kind = Kind {
    mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    label: "a Word document",
    extensions: &["docx"],
};
const XLSX: Kind = Kind {
    mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    label: "an Excel workbook",
    extensions: &["xlsx"],
};
const PPTX: Kind = Kind {
    mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    label: "a PowerPoint presentation",
    extensions: &["pptx"],
};
const ODT: Kind = Kind {
    mime: "application/vnd.oasis.opendocument.text",
    label: "an OpenDocument text",
    extensions: &["odt"],
};
const ODS: Kind = Kind {
    mime: "application/vnd.oasis.opendocument.spreadsheet",
    label: "an OpenDocument spreadsheet",
    extensions: &["ods"],
};

/// What the allowlist holds, in words (the 415's message).
pub const ALLOWED: &str = "photos (JPEG, PNG, GIF, WebP, HEIC), PDF, plain text or CSV, and Word, Excel, PowerPoint or OpenDocument files";

/// Why a file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not on the allowlist.
    #[error("this kind of file cannot be shared; allowed are {ALLOWED}")]
    NotAllowed,
    /// On the list, but named as something else.
    #[error(
        "the file is {label}, but its name ends in .{extension}; rename it to end in .{expected}"
    )]
    NameMismatch {
        /// What it is.
        label: &'static str,
        /// What the name says.
        extension: String,
        /// What it should say.
        expected: &'static str,
    },
}

/// Plain text, checked as it streams: UTF-8 throughout, no control characters but tab, line
/// breaks and form feed (NUL and friends mean a binary file).
#[derive(Debug, Default)]
pub struct TextCheck {
    /// The bytes of a character split across chunks.
    carry: Vec<u8>,
    failed: bool,
    started: bool,
}

impl TextCheck {
    /// Takes the next chunk.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.failed {
            return;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(chunk);
        let mut body: &[u8] = &bytes;
        if !self.started {
            self.started = true;
            body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        }
        let valid = match std::str::from_utf8(body) {
            Ok(s) => s,
            Err(e) if e.error_len().is_none() => {
                // A character cut at the chunk's end: keep its start for the next chunk.
                let (good, rest) = body.split_at(e.valid_up_to());
                self.carry = rest.to_vec();
                std::str::from_utf8(good).unwrap_or_default()
            }
            Err(_) => {
                self.failed = true;
                return;
            }
        };
        if valid
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
        {
            self.failed = true;
        }
    }

    /// Whether everything fed was text (a character left unfinished is not).
    pub fn is_text(&self) -> bool {
        !self.failed && self.carry.is_empty()
    }

    /// Whether what was fed so far is text, a character cut at the end allowed (a file's
    /// head).
    pub fn is_text_so_far(&self) -> bool {
        !self.failed
    }
}

/// The kind of a file from its first bytes (up to [`SNIFF`]) and, for text, whether the whole
/// of it was text.
pub fn detect(head: &[u8], whole_is_text: bool, extension: Option<&str>) -> Option<Kind> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(b"\xFF\xD8\xFF") {
        return Some(JPEG);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(PNG);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(GIF);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(WEBP);
    }
    if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && [&b"heic"[..], b"heix", b"hevc", b"hevx", b"mif1", b"msf1"].contains(&&head[8..12])
    {
        return Some(HEIC);
    }
    if starts(b"%PDF-") {
        return Some(PDF);
    }
    if starts(b"PK\x03\x04") {
        return zipped(head);
    }
    if whole_is_text && !head.is_empty() {
        return Some(if extension == Some("csv") { CSV } else { TEXT });
    }
    None
}

/// An office document is a zip: OpenDocument names its type in a first entry `mimetype`;
/// Office Open XML holds a `[Content_Types].xml` and a part folder of its own.
fn zipped(head: &[u8]) -> Option<Kind> {
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if head.get(30..38) == Some(b"mimetype") {
        let named = &head[38..head.len().min(38 + 80)];
        for (mime, kind) in [
            (&b"application/vnd.oasis.opendocument.text"[..], ODT),
            (b"application/vnd.oasis.opendocument.spreadsheet", ODS),
        ] {
            if named.starts_with(mime) && named.get(mime.len()).is_none_or(|b| *b == b'P') {
                return Some(kind);
            }
        }
        return None;
    }
    if !has(b"[Content_Types].xml") {
        return None;
    }
    if has(b"word/") {
        Some(DOCX)
    } else if has(b"xl/") {
        Some(XLSX)
    } else if has(b"ppt/") {
        Some(PPTX)
    } else {
        None
    }
}

/// The lower-case extension of a name, if it has one.
pub fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// The name to keep for a file of `kind`: as given when its extension fits, with the kind's
/// extension added when it has none; refused when it names something else.
pub fn fit_name(name: &str, kind: Kind) -> Result<String, Refused> {
    match extension(name) {
        Some(ext) if kind.extensions.contains(&ext.as_str()) => Ok(name.to_owned()),
        Some(ext) => Err(Refused::NameMismatch {
            label: kind.label,
            extension: ext,
            expected: kind.extensions[0],
        }),
        None => Ok(format!("{name}.{}", kind.extensions[0])),
    }
}

/// The kind of a file and the name to keep it under, from its bytes (`head`: the first
/// [`SNIFF`] or all of them; `is_text`: whether they are all text) and the name it came with.
pub fn judge(head: &[u8], is_text: bool, raw_name: &str) -> Result<(Kind, String), Refused> {
    let name = crate::names::sanitize(raw_name);
    let found = detect(head, is_text, extension(&name).as_deref()).ok_or(Refused::NotAllowed)?;
    let name = fit_name(&name, found)?;
    Ok((found, name))
}

/// Whether a file with this name may be handed to the system to open: its extension is one of
/// the allowlist's. A file from a server that takes anything (production) named `.exe`,
/// `.bat` or `.pdf.exe` never is.
pub fn openable(name: &str) -> bool {
    let all = [
        JPEG, PNG, GIF, WEBP, HEIC, PDF, TEXT, CSV, DOCX, XLSX, PPTX, ODT, ODS,
    ];
    extension(name).is_some_and(|ext| all.iter().any(|k| k.extensions.contains(&ext.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> bool {
        let mut t = TextCheck::default();
        t.feed(bytes);
        t.is_text()
    }

    #[test]
    fn kinds_come_from_the_bytes() {
        assert_eq!(
            detect(b"\xFF\xD8\xFF\xE0rest", false, Some("png")),
            Some(JPEG)
        );
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n....", false, None), Some(PNG));
        assert_eq!(detect(b"RIFF\0\0\0\0WEBPVP8 ", false, None), Some(WEBP));
        assert_eq!(detect(b"\0\0\0\x18ftypheic\0\0", false, None), Some(HEIC));
        assert_eq!(detect(b"%PDF-1.7\n", false, None), Some(PDF));
        assert_eq!(detect(b"plain words\n", true, Some("txt")), Some(TEXT));
        assert_eq!(detect(b"a,b\n1,2\n", true, Some("csv")), Some(CSV));
        // Executables and scripts' binaries, whatever their name says.
        assert_eq!(detect(b"MZ\x90\0\x03\0\0\0", false, Some("pdf")), None);
        assert_eq!(detect(b"\x7fELF\x02\x01\x01", false, Some("jpg")), None);
        // Legacy Office (OLE2) and a zip that is no office document.
        assert_eq!(
            detect(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", false, Some("doc")),
            None
        );
        assert_eq!(
            detect(b"PK\x03\x04\x14\0\0\0\0\0classes.dex", false, Some("docx")),
            None
        );
        assert_eq!(
            detect(b"", true, Some("txt")),
            None,
            "an empty file is nothing"
        );
    }

    #[test]
    fn office_documents_are_told_apart() {
        let mut docx = b"PK\x03\x04".to_vec();
        docx.extend_from_slice(&[0; 26]);
        docx.extend_from_slice(b"[Content_Types].xml....PK\x03\x04word/document.xml");
        assert_eq!(detect(&docx, false, Some("docx")), Some(DOCX));
        let mut odt = b"PK\x03\x04".to_vec();
        odt.extend_from_slice(&[0; 26]);
        odt.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.textPK\x03\x04");
        assert_eq!(detect(&odt, false, Some("odt")), Some(ODT));
        let mut odt_template = odt.clone();
        odt_template.splice(38 + 39..38 + 39, b"-template".iter().copied());
        assert_eq!(detect(&odt_template, false, Some("ott")), None);
    }

    #[test]
    fn text_is_utf8_without_controls_across_chunks() {
        assert!(text(b"\xEF\xBB\xBFcare plan\r\n\tday 1\n"));
        assert!(!text(b"nul\0inside"));
        assert!(!text(b"\xff\xfe not utf-8"));
        let mut t = TextCheck::default();
        let word = "Zoë ✓".as_bytes();
        t.feed(&word[..3]);
        t.feed(&word[3..]);
        assert!(t.is_text(), "a character split across chunks is still text");
        let mut cut = TextCheck::default();
        cut.feed(&word[..3]);
        assert!(!cut.is_text(), "a file ending inside a character is not");
    }

    #[test]
    fn only_the_allowlists_extensions_are_opened() {
        assert!(openable("Wound.JPG"));
        assert!(openable("plan.docx"));
        for name in [
            "setup.exe",
            "invoice.pdf.exe",
            "run.bat",
            "x.js",
            "noext",
            ".pdf",
        ] {
            assert!(!openable(name), "{name}");
        }
        assert_eq!(judge(b"%PDF-1.4", false, "../a/b.pdf").unwrap().1, "b.pdf");
        assert!(judge(b"MZ\x90\0", false, "b.pdf").is_err());
    }

    #[test]
    fn names_must_say_what_the_file_is() {
        assert_eq!(fit_name("Wound.JPG", JPEG).unwrap(), "Wound.JPG");
        assert_eq!(fit_name("photo", JPEG).unwrap(), "photo.jpg");
        let e = fit_name("run-me.bat", TEXT).unwrap_err();
        assert!(e.to_string().contains(".bat"), "{e}");
        assert!(fit_name("x.png", JPEG).is_err());
        assert_eq!(extension(".bashrc"), None);
    }
}
