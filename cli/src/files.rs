//! `files …`: a chat's files. Progress goes to standard error on a terminal only, so a
//! script's output stays what `--json` promises.

use crate::args::FilesCommand;
use crate::exit::Failure;
use crate::output;
use nursecare_core::Client;
use nursecare_core::cache::ChatFile;
use std::io::IsTerminal;
use std::sync::Arc;

pub async fn run(client: &Client, command: FilesCommand, as_json: bool) -> Result<(), Failure> {
    match command {
        FilesCommand::List { conversation_id } => {
            let files = client.files(conversation_id).await?;
            if as_json {
                output::json(&files);
            } else if files.is_empty() {
                output::line("No files in this conversation.");
            } else {
                for f in &files {
                    output::line(&row(f));
                }
            }
        }
        FilesCommand::Upload {
            conversation_id,
            path,
        } => {
            let sent = client
                .upload_file(conversation_id, &path, progress("Uploading"))
                .await;
            done_progress();
            let sent = sent?;
            if as_json {
                output::json(&sent);
            } else {
                output::line(&format!("Shared {}", row(&sent)));
            }
        }
        FilesCommand::Download { file_id, to } => download(client, file_id, to, as_json).await?,
        FilesCommand::Forget { file_id, all } => {
            let said = match (file_id, all) {
                (Some(id), false) => {
                    client.forget_file(id).await?;
                    format!("The copy of file #{id} kept here is gone.")
                }
                _ => {
                    let freed = client.forget_kept_files().await?;
                    format!("Every copy kept here is gone ({} freed).", size(freed))
                }
            };
            if as_json {
                output::json(&serde_json::json!({ "forgotten": file_id, "all": all }));
            } else {
                output::line(&said);
            }
        }
        FilesCommand::Delete { file_id } => {
            client.delete_file(file_id).await?;
            if as_json {
                output::json(&serde_json::json!({ "deleted": file_id }));
            } else {
                output::line(&format!("Deleted file #{file_id}."));
            }
        }
    }
    Ok(())
}

/// Saves a copy of a file into `to` (or the current folder).
pub async fn download(
    client: &Client,
    file_id: i64,
    to: Option<std::path::PathBuf>,
    as_json: bool,
) -> Result<(), Failure> {
    let dir = match to {
        Some(dir) => dir,
        None => std::env::current_dir().map_err(|e| {
            Failure::new(crate::exit::LOCAL_FILE, format!("no current folder: {e}"))
        })?,
    };
    let saved = client
        .save_file(file_id, &dir, progress("Downloading"))
        .await;
    done_progress();
    let saved = saved?;
    if as_json {
        output::json(&saved);
    } else {
        output::line(&format!("Saved {}", output::safe(&saved.path)));
    }
    Ok(())
}

/// One file in a line: `#7  wound.jpg  52 KB  by Chloe Martin  2026-12-07 10:00  (kept)`.
fn row(f: &ChatFile) -> String {
    let by = f
        .file
        .uploaded_by
        .as_ref()
        .map(|u| {
            let name = u
                .name
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(&u.email);
            format!("  by {}", output::safe(name))
        })
        .unwrap_or_default();
    format!(
        "#{}  {}  {}{by}  {}{}",
        f.file.id,
        output::safe(&f.file.filename),
        size(f.file.size),
        output::when(&f.file.created_at),
        if f.kept { "  (kept)" } else { "" }
    )
}

fn size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{} KB", b / 1024),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// Progress on standard error, when it is a terminal.
fn progress(what: &'static str) -> nursecare_core::files::Progress {
    if !std::io::stderr().is_terminal() {
        return Arc::new(|_, _| {});
    }
    Arc::new(move |done, total| {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        eprint!("\r{what}… {percent}% ");
    })
}

fn done_progress() {
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
}
