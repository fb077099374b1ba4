//! Where `send` gets its text. A command's arguments are readable by every account on the
//! computer (`ps`, `/proc/PID/cmdline`), so the text may come from standard input (`-`) or a
//! file instead, as a script or a support tool should pass a patient's words.

use crate::exit::{self, Failure};
use nursecare_core::client::MAX_MESSAGE_CHARS;
use std::io::Read;
use std::path::PathBuf;

/// The most bytes read: the longest message at four bytes a character, and a line ending.
const MAX_BYTES: u64 = (MAX_MESSAGE_CHARS as u64) * 4 + 2;

/// Where the text is.
#[derive(Debug)]
pub enum Source {
    /// The argument itself.
    Argument(String),
    /// Standard input, to its end.
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Source {
    /// `TEXT` (`-` for standard input) or `--file`.
    pub fn of(text: Option<String>, file: Option<PathBuf>) -> Self {
        match (text, file) {
            (_, Some(f)) => Source::File(f),
            (Some(t), None) if t == "-" => Source::Stdin,
            (Some(t), None) => Source::Argument(t),
            (None, None) => Source::Stdin,
        }
    }
}

/// The message text. Read from standard input or a file, one final line ending is dropped
/// (what `echo` and editors add); the rest is kept as written.
pub async fn read(source: Source) -> Result<String, Failure> {
    let (what, bytes) = match source {
        Source::Argument(text) => return Ok(text),
        Source::Stdin => (
            "standard input".to_owned(),
            tokio::task::spawn_blocking(|| bounded(std::io::stdin().lock())).await,
        ),
        Source::File(path) => {
            let what = path.display().to_string();
            let read =
                tokio::task::spawn_blocking(move || std::fs::File::open(&path).and_then(bounded))
                    .await;
            (what, read)
        }
    };
    let bytes = bytes
        .map_err(|e| Failure::new(exit::FAILURE, format!("reading the message: {e}")))?
        .map_err(|e| Failure::new(exit::USAGE, format!("cannot read {what}: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_long(&what));
    }
    let mut text = String::from_utf8(bytes)
        .map_err(|_| Failure::new(exit::USAGE, format!("{what} is not UTF-8 text")))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(too_long(&what));
    }
    Ok(text)
}

/// Up to one byte past the limit, so a longer text is told apart without reading it all.
fn bounded(reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn too_long(what: &str) -> Failure {
    Failure::new(
        exit::USAGE,
        format!("the message in {what} is too long: at most {MAX_MESSAGE_CHARS} characters"),
    )
}
