//! Printing: one line per item for people, JSON for scripts. Message text from the network is
//! printed with control characters escaped, so a message cannot drive the terminal.

use nursecare_core::cache::ConversationSummary;
use nursecare_core::events::CallChange;
use nursecare_wire::{Id, Message, MessageType, Timestamp, VideoCall};
use serde::Serialize;

/// Text safe for a terminal: control characters (escape sequences, carriage returns, …) are
/// shown escaped, newlines as `⏎`.
pub fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push('⏎'),
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

pub fn when(t: &Timestamp) -> String {
    t.as_datetime()
        .with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Prints one line on stdout. A closed pipe (`watch | head`) ends the program quietly, as
/// ripgrep does, instead of panicking.
pub fn line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("nursecare-cli: cannot write the output: {e}");
        std::process::exit(1);
    }
}

pub fn json<T: Serialize + ?Sized>(value: &T) {
    line(&serde_json::to_string(value).unwrap_or_else(|_| "null".into()));
}

pub fn message_line(m: &Message) -> String {
    let who = m
        .sender
        .name
        .as_deref()
        .map(safe)
        .unwrap_or_else(|| format!("user {}", m.sender_id));
    let urgent = match (m.urgent, &m.read_at) {
        (Some(true), Some(read)) => format!(" (urgent, read {})", when(read)),
        (Some(true), None) => " (urgent)".to_owned(),
        _ => String::new(),
    };
    format!(
        "#{} [{}] {}{urgent}: {}",
        m.id,
        when(&m.created_at),
        who,
        safe(&said(m))
    )
}

/// A message as people read it: a call notice in the app's words (`--json` keeps the raw
/// content), anything else as written.
fn said(m: &Message) -> String {
    match m.kind {
        MessageType::System => {
            nursecare_wire::system::notice_words(&m.content).unwrap_or_else(|| m.content.clone())
        }
        _ => m.content.clone(),
    }
}

pub fn messages(list: &[Message], as_json: bool) {
    if as_json {
        return json(list);
    }
    for m in list {
        line(&message_line(m));
    }
}

pub fn conversations(list: &[ConversationSummary], as_json: bool) {
    if as_json {
        return json(list);
    }
    if list.is_empty() {
        line("No conversations yet.");
    }
    for c in list {
        let who = c
            .other
            .as_ref()
            .map(|u| {
                format!(
                    "{} ({}, user {})",
                    safe(u.name.as_deref().unwrap_or(&u.email)),
                    u.role.as_str(),
                    u.id
                )
            })
            .unwrap_or_else(|| "(nobody else)".into());
        let preview = c
            .last_message
            .as_ref()
            .map(|m| {
                let text: String = said(m).chars().take(60).collect();
                safe(&text)
            })
            .unwrap_or_default();
        line(&format!(
            "#{}\t{}\t{} unread\t{}\t{}",
            c.id,
            who,
            c.unread,
            when(&c.updated_at),
            preview
        ));
    }
}

pub fn calls(list: &[VideoCall], as_json: bool) {
    if as_json {
        return json(list);
    }
    if list.is_empty() {
        line("No calls.");
    }
    for c in list {
        line(&call_line(c));
    }
}

pub fn call_line(c: &VideoCall) -> String {
    let duration = c
        .duration
        .map(nursecare_wire::system::duration_text)
        .map(|d| format!(" {d}"))
        .unwrap_or_default();
    format!(
        "call {} [{}] {}{} room {}",
        c.id,
        when(&c.started_at),
        c.status.as_str(),
        duration,
        c.room_name
    )
}

/// One call: a JSON object (with `jitsiUrl` when given), or its line and then the URL.
pub fn call(c: &VideoCall, url: Option<&str>, as_json: bool) {
    if as_json {
        let mut v = serde_json::to_value(c).unwrap_or_default();
        if let (Some(url), Some(o)) = (url, v.as_object_mut()) {
            o.insert("jitsiUrl".into(), url.into());
        }
        json(&v);
    } else {
        line(&call_line(c));
        if let Some(url) = url {
            line(url);
        }
    }
}

/// What happened to a call, for people (`Event::Call`).
pub fn call_change_line(
    call: Id,
    change: CallChange,
    by: Option<Id>,
    duration: Option<i64>,
) -> String {
    let what = match change {
        CallChange::Accepted => "accepted",
        CallChange::Rejected => "declined",
        CallChange::HungUp => "hung up",
        CallChange::Ended => "ended",
        CallChange::Missed => "missed: nobody answered",
        CallChange::StoppedRinging => "stopped ringing",
    };
    let by = by.map(|u| format!(" by user {u}")).unwrap_or_default();
    let duration = duration
        .map(|d| format!(" after {}", nursecare_wire::system::duration_text(d)))
        .unwrap_or_default();
    format!("call {call} {what}{by}{duration}")
}

#[cfg(test)]
mod tests {
    /// The CLI printed `VIDEO_CALL_ENDED:1m 15s` where the app says "Video call ended · 1m 15s".
    #[test]
    fn call_notices_are_said_in_the_apps_words() {
        let notice: nursecare_wire::Message = serde_json::from_value(serde_json::json!({
            "id": 7, "conversationId": 1, "senderId": 2, "content": "VIDEO_CALL_ENDED:1m 15s",
            "type": "SYSTEM", "read": false, "createdAt": "2026-12-06T10:00:00.000Z",
            "sender": {"id": 2, "name": "Chloe Martin", "role": "PATIENT"}
        }))
        .unwrap();
        let said = super::message_line(&notice);
        assert!(
            said.ends_with("Chloe Martin: Video call ended · 1m 15s"),
            "{said}"
        );
        // A text that happens to look like a code is a person's words, kept as written.
        let text = nursecare_wire::Message {
            kind: nursecare_wire::MessageType::Text,
            ..notice
        };
        assert!(super::message_line(&text).ends_with(": VIDEO_CALL_ENDED:1m 15s"));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(super::safe("a\u{1b}[2Jb\nc\r"), "a\\u{1b}[2Jb⏎c\\u{d}");
        assert_eq!(super::safe("Grüße 👋"), "Grüße 👋");
    }
}
