//! Exists because a nurse leaves the window hidden all shift: new messages raise a native
//! notification that shows no patient's words unless asked to, opens the chat when clicked,
//! and is withdrawn once the chat is read (here or elsewhere). Incoming calls ring here too
//! (critical, with Accept and Decline, withdrawn once the call is dealt with anywhere), and a
//! missed call leaves a notice until its chat is opened (what shows when: `calls`).
//!
//! What each notification says and what its buttons do is decided once, in `cards`; Linux
//! speaks the XDG notification service over D-Bus itself (`xdg`), Windows shows toasts
//! (`toasts`). With no notification service the app works as before and the window shows
//! everything.

pub mod calls;
pub mod cards;
pub mod others;
pub mod toasts;
#[cfg(target_os = "linux")]
mod xdg;

use crate::ui_types::AppEvent;
use calls::{Alert, CallNotices, MissedMarks};
use nursecare_core::cache::ConversationSummary;
use nursecare_core::events::Event;
use nursecare_core::settings::NotificationPrivacy;
use nursecare_wire::{Id, Message, MessageType};
use std::collections::HashMap;
use std::sync::Mutex;
use tauri::AppHandle;
use tokio::sync::mpsc;

/// Longest text a notification shows (the window has the rest).
const BODY_CHARS: usize = 160;

/// What to show or withdraw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// A new message in a conversation (replaces that conversation's earlier one).
    Show {
        /// The conversation.
        conversation: Id,
        /// The title line.
        summary: String,
        /// The body.
        body: String,
    },
    /// The conversation was read: its notification goes.
    Withdraw {
        /// The conversation.
        conversation: Id,
    },
    /// A call rings, stops ringing, was missed, or its miss was seen.
    Call(Alert),
    /// An urgent message for another nurse signed in on this computer (not the one in
    /// front), new or still unread: for whom, never from whom or what.
    UrgentFor {
        /// The nurse.
        nurse: Id,
        /// Their email.
        email: String,
        /// The chat (its card's slot).
        conversation: Id,
    },
}

/// What the notifier knows of each conversation.
#[derive(Debug, Clone, Default)]
struct Row {
    name: Option<String>,
    muted: bool,
    /// Urgent messages from the other side not read yet.
    urgent: u32,
    /// The newest message known here, as (time, id): messages a sync finds are news only
    /// above it (a catch-up after a reconnect), not below (paging back, a first sync).
    newest: Option<(i64, Id)>,
}

fn place(m: &Message) -> (i64, Id) {
    (m.created_at.millis(), m.id)
}

/// The message notifier.
pub struct Notifier {
    privacy: Mutex<NotificationPrivacy>,
    /// The window is locked: messages and files say only that there is something new.
    locked: std::sync::atomic::AtomicBool,
    open: Mutex<Option<Id>>,
    rows: Mutex<HashMap<Id, Row>>,
    /// Conversations with a notification up.
    up: Mutex<std::collections::HashSet<Id>>,
    calls: Mutex<CallNotices>,
    /// Calls ringing for the other nurses signed in (a shared computer).
    others: Mutex<others::OtherRings>,
    /// The chats whose rows carry a missed-call mark (the core's), for the tray.
    marks: Mutex<MissedMarks>,
    /// Told how many chats carry a missed-call mark whenever that changes (the tray).
    on_missed: Mutex<Option<MissedListener>>,
    /// Told how many chats hold an urgent message not read, whenever that changes (the tray).
    on_urgent: Mutex<(usize, Option<MissedListener>)>,
    jobs: mpsc::UnboundedSender<Job>,
}

/// Who hears how many chats carry a missed-call mark.
pub type MissedListener = std::sync::Arc<dyn Fn(usize) + Send + Sync>;

/// Whether a message is worth a notification: never the user's own, never a muted
/// conversation, never the chat open in a focused window, never a call notice (calls have
/// their own).
pub fn worth_notifying(
    message: &Message,
    me: Id,
    muted: bool,
    focused: bool,
    open: Option<Id>,
) -> bool {
    message.sender_id != me
        && !muted
        && !(focused && open == Some(message.conversation_id))
        && message.kind != MessageType::System
}

/// A file's notification under a privacy level: its name only where the user chose to see
/// message text (a name can say as much as a message).
pub fn file_content(
    privacy: NotificationPrivacy,
    sender: &str,
    file: &nursecare_wire::files::SharedFile,
) -> (String, String) {
    let what = if file.mimetype.starts_with("image/") {
        "photo"
    } else {
        "file"
    };
    match privacy {
        NotificationPrivacy::Nothing => ("NurseCare".into(), format!("New {what}")),
        NotificationPrivacy::SenderOnly => (sender.to_owned(), format!("Sent a {what}")),
        NotificationPrivacy::SenderAndText => {
            let name: String = file.filename.chars().take(BODY_CHARS).collect();
            (sender.to_owned(), format!("Sent a {what}: {name}"))
        }
    }
}

/// The notification's title and body under a privacy level.
pub fn content(privacy: NotificationPrivacy, sender: &str, message: &Message) -> (String, String) {
    match privacy {
        NotificationPrivacy::Nothing => ("NurseCare".into(), "New message".into()),
        NotificationPrivacy::SenderOnly => (sender.to_owned(), "New message".into()),
        NotificationPrivacy::SenderAndText => {
            let body = match message.kind {
                MessageType::Image => "Sent a photo".to_owned(),
                MessageType::File => "Sent a file".to_owned(),
                _ => {
                    let mut text: String = message.content.chars().take(BODY_CHARS).collect();
                    if message.content.chars().count() > BODY_CHARS {
                        text.push('…');
                    }
                    text
                }
            };
            (sender.to_owned(), body)
        }
    }
}

impl Notifier {
    /// A notifier and its job queue (run the queue with [`run`]).
    pub fn new(privacy: NotificationPrivacy) -> (Self, mpsc::UnboundedReceiver<Job>) {
        let (jobs, rx) = mpsc::unbounded_channel();
        (
            Self {
                privacy: Mutex::new(privacy),
                locked: Default::default(),
                open: Mutex::default(),
                rows: Mutex::default(),
                up: Mutex::default(),
                calls: Mutex::default(),
                others: Mutex::default(),
                marks: Mutex::default(),
                on_missed: Mutex::default(),
                on_urgent: Mutex::default(),
                jobs,
            },
            rx,
        )
    }

    /// The privacy level chosen in the settings.
    pub fn set_privacy(&self, privacy: NotificationPrivacy) {
        *self.privacy.lock().expect("privacy lock") = privacy;
    }

    /// The window locked or opened. Locking withdraws the message notifications up (they may
    /// name a patient); while locked, new ones say only "NurseCare — New message". Calls
    /// still ring, named as the privacy setting allows.
    pub fn set_locked(&self, locked: bool) {
        self.locked
            .store(locked, std::sync::atomic::Ordering::Relaxed);
        if locked {
            let up: Vec<Id> = self.up.lock().expect("up lock").drain().collect();
            for conversation in up {
                let _ = self.jobs.send(Job::Withdraw { conversation });
            }
        }
    }

    /// What messages and files may show now: nothing of anyone while the window is locked.
    fn message_privacy(&self) -> NotificationPrivacy {
        if self.locked.load(std::sync::atomic::Ordering::Relaxed) {
            NotificationPrivacy::Nothing
        } else {
            *self.privacy.lock().expect("privacy lock")
        }
    }

    /// The chat on screen.
    pub fn set_open(&self, conversation: Option<Id>) {
        *self.open.lock().expect("open lock") = conversation;
    }

    /// Who hears how many chats carry a missed-call mark (told now, and on every change).
    pub fn on_missed(&self, listener: MissedListener) {
        listener(self.missed_count());
        *self.on_missed.lock().expect("listener lock") = Some(listener);
    }

    /// Who hears how many chats hold an urgent message not read (told now, and on change).
    pub fn on_urgent(&self, listener: MissedListener) {
        let now = self.urgent_chats();
        listener(now);
        *self.on_urgent.lock().expect("listener lock") = (now, Some(listener));
    }

    /// How many chats hold an urgent message not read.
    pub fn urgent_chats(&self) -> usize {
        self.rows
            .lock()
            .expect("rows lock")
            .values()
            .filter(|r| r.urgent > 0)
            .count()
    }

    /// Tells the tray when the number of chats holding an urgent message changed. Called
    /// without a lock held (the tray may wait for the main thread).
    fn tell_urgent(&self) {
        let now = self.urgent_chats();
        let listener = {
            let mut told = self.on_urgent.lock().expect("listener lock");
            if told.0 == now {
                return;
            }
            told.0 = now;
            told.1.clone()
        };
        if let Some(listener) = listener {
            listener(now);
        }
    }

    /// How many chats carry a missed-call mark.
    pub fn missed_count(&self) -> usize {
        self.marks.lock().expect("marks lock").count()
    }

    fn send_call_alerts(&self, alerts: Vec<Alert>) {
        for alert in alerts {
            let _ = self.jobs.send(Job::Call(alert));
        }
    }

    /// Tells the listener the marks' count. Called without a lock held: the listener updates
    /// the tray, which may wait for the main thread, which may be here too.
    fn tell_missed(&self) {
        let listener = self.on_missed.lock().expect("listener lock").clone();
        if let Some(listener) = listener {
            listener(self.missed_count());
        }
    }

    /// A caller's name as the privacy setting allows (none at `Nothing`).
    fn caller_name(&self, conversation: Id) -> Option<String> {
        if *self.privacy.lock().expect("privacy lock") == NotificationPrivacy::Nothing {
            return None;
        }
        let rows = self.rows.lock().expect("rows lock");
        Some(
            rows.get(&conversation)
                .and_then(|r| r.name.clone())
                .unwrap_or_else(|| "Someone".into()),
        )
    }

    /// The account stopped: its notifications go (no patient's name stays on screen for the
    /// next person at the computer) and nothing of it is kept.
    pub fn clear(&self) {
        let up: Vec<Id> = self.up.lock().expect("up lock").drain().collect();
        for conversation in up {
            let _ = self.jobs.send(Job::Withdraw { conversation });
        }
        self.rows.lock().expect("rows lock").clear();
        *self.open.lock().expect("open lock") = None;
        let alerts = self.calls.lock().expect("calls lock").clear();
        self.send_call_alerts(alerts);
        self.marks.lock().expect("marks lock").clear();
        self.tell_missed();
        self.tell_urgent();
    }

    /// An event of another nurse's account (not the one in front): only their calls and
    /// urgent messages show, saying for whom. Answers whether a call now rings for them, when
    /// that changed.
    pub fn on_other_event(&self, nurse: Id, email: &str, event: &Event) -> Option<bool> {
        let (jobs, ringing) = self
            .others
            .lock()
            .expect("others lock")
            .on_event(nurse, email, event);
        for job in jobs {
            let _ = self.jobs.send(job);
        }
        ringing
    }

    /// Whether a call rings for another nurse.
    pub fn other_ringing(&self, nurse: Id) -> bool {
        self.others.lock().expect("others lock").is_ringing(nurse)
    }

    /// `nurse` came to the front or stopped: their rings and urgent notices as another
    /// nurse go.
    pub fn forget_other(&self, nurse: Id) {
        let jobs = self.others.lock().expect("others lock").forget(nurse);
        for job in jobs {
            let _ = self.jobs.send(job);
        }
    }

    /// A core event: keeps names and mutes, raises and withdraws notifications.
    pub fn on_event(&self, event: &Event, me: Option<Id>, focused: bool) {
        let alerts = self
            .calls
            .lock()
            .expect("calls lock")
            // A conversation has two participants: its other one calls.
            .on_event(event, focused, |conversation| {
                self.caller_name(conversation)
            });
        self.send_call_alerts(alerts);
        if self.marks.lock().expect("marks lock").on_event(event) {
            self.tell_missed();
        }
        match event {
            Event::ConversationList { conversations } => {
                {
                    let mut rows = self.rows.lock().expect("rows lock");
                    let before = std::mem::take(&mut *rows);
                    for c in conversations {
                        rows.insert(c.id, row_of(c, before.get(&c.id)));
                    }
                }
                self.tell_urgent();
            }
            Event::ConversationChanged { summary } => {
                {
                    let mut rows = self.rows.lock().expect("rows lock");
                    let row = row_of(summary, rows.get(&summary.id));
                    rows.insert(summary.id, row);
                }
                self.tell_urgent();
            }
            Event::MessageAdded { message, .. } => {
                self.saw(message);
                self.raise(message, me, focused);
            }
            Event::UrgentAgain {
                conversation_id, ..
            } => self.raise_urgent(*conversation_id),
            Event::FileShared {
                conversation_id,
                file,
            } => self.raise_file(*conversation_id, file, me, focused),
            Event::MessagesFound {
                conversation_id,
                messages,
            } => {
                // Found by a sync: news only above the newest message this conversation had
                // (what came while the connection was down); one notification for the newest.
                // A row known with no message yet: everything after is news. No row at all
                // (a first sync after signing in): nothing is.
                let known: Option<Option<(i64, Id)>> = self
                    .rows
                    .lock()
                    .expect("rows lock")
                    .get(conversation_id)
                    .map(|r| r.newest);
                let news = messages
                    .iter()
                    .filter(|m| {
                        !m.read
                            && me.is_some_and(|me| m.sender_id != me)
                            && m.kind != MessageType::System
                            && known.is_some_and(|k| k.is_none_or(|k| place(m) > k))
                    })
                    .max_by_key(|m| place(m));
                for m in messages {
                    self.saw(m);
                }
                if let Some(m) = news {
                    self.raise(m, me, focused);
                }
            }
            Event::Unread { conversations, .. } => {
                let mut up = self.up.lock().expect("up lock");
                let read: Vec<Id> = up
                    .iter()
                    .filter(|c| conversations.get(c).copied().unwrap_or(0) == 0)
                    .copied()
                    .collect();
                for conversation in read {
                    up.remove(&conversation);
                    let _ = self.jobs.send(Job::Withdraw { conversation });
                }
            }
            _ => {}
        }
    }
}

impl Notifier {
    /// Moves a conversation's newest known message up to `message`.
    fn saw(&self, message: &Message) {
        let mut rows = self.rows.lock().expect("rows lock");
        let row = rows.entry(message.conversation_id).or_default();
        if row.newest.is_none_or(|n| place(message) > n) {
            row.newest = Some(place(message));
        }
    }

    /// Shows a notification for `message` if it is worth one.
    fn raise(&self, message: &Message, me: Option<Id>, focused: bool) {
        let Some(me) = me else { return };
        let row = self
            .rows
            .lock()
            .expect("rows lock")
            .get(&message.conversation_id)
            .cloned()
            .unwrap_or_default();
        let open = *self.open.lock().expect("open lock");
        // An urgent message notifies through mute (never through the system's Do Not
        // Disturb, which the desktop decides).
        let muted = row.muted && message.urgent != Some(true);
        if !worth_notifying(message, me, muted, focused, open) {
            return;
        }
        let sender = message
            .sender
            .name
            .clone()
            .or(row.name)
            .unwrap_or_else(|| "Someone".into());
        let (summary, mut body) = content(self.message_privacy(), &sender, message);
        if message.urgent == Some(true) {
            body = format!("Urgent: {body}");
        }
        self.up
            .lock()
            .expect("up lock")
            .insert(message.conversation_id);
        let _ = self.jobs.send(Job::Show {
            conversation: message.conversation_id,
            summary,
            body,
        });
    }
}

impl Notifier {
    /// An urgent message is still unread: its chat's notification comes up again, through
    /// mute and the lock (named as the privacy setting allows; nobody while locked).
    fn raise_urgent(&self, conversation: Id) {
        let name = self
            .rows
            .lock()
            .expect("rows lock")
            .get(&conversation)
            .and_then(|r| r.name.clone())
            .unwrap_or_else(|| "Someone".into());
        let summary = match self.message_privacy() {
            NotificationPrivacy::Nothing => "NurseCare".to_owned(),
            _ => name,
        };
        self.up.lock().expect("up lock").insert(conversation);
        let _ = self.jobs.send(Job::Show {
            conversation,
            summary,
            body: "Urgent message, not read yet".into(),
        });
    }

    /// Shows a notification for a file the other side shared, unless it is the user's own,
    /// the chat is muted, or it is on screen in a focused window. Not withdrawn by reads (a
    /// file is no message): a click opens the chat.
    fn raise_file(
        &self,
        conversation: Id,
        file: &nursecare_wire::files::SharedFile,
        me: Option<Id>,
        focused: bool,
    ) {
        let Some(me) = me else { return };
        let by = file.uploaded_by.as_ref();
        if by.is_some_and(|u| u.id == me) {
            return;
        }
        let row = self
            .rows
            .lock()
            .expect("rows lock")
            .get(&conversation)
            .cloned()
            .unwrap_or_default();
        let open = *self.open.lock().expect("open lock");
        if row.muted || (focused && open == Some(conversation)) {
            return;
        }
        let sender = by
            .and_then(|u| u.name.clone())
            .or(row.name)
            .unwrap_or_else(|| "Someone".into());
        let (summary, body) = file_content(self.message_privacy(), &sender, file);
        let _ = self.jobs.send(Job::Show {
            conversation,
            summary,
            body,
        });
    }
}

/// A list row as the notifier keeps it; the newest known message never moves down.
fn row_of(c: &ConversationSummary, before: Option<&Row>) -> Row {
    Row {
        name: c
            .other
            .as_ref()
            .map(|o| o.name.clone().unwrap_or_else(|| o.email.clone())),
        muted: c.muted,
        urgent: c.urgent,
        newest: c
            .last_message
            .as_ref()
            .map(place)
            .max(before.and_then(|r| r.newest)),
    }
}

/// Shows the jobs on the desktop until the queue closes; a click shows the window on that
/// conversation, a ring's buttons answer the call.
pub async fn run(app: AppHandle, jobs: mpsc::UnboundedReceiver<Job>) {
    #[cfg(target_os = "linux")]
    xdg::run(app, jobs).await;
    #[cfg(windows)]
    toasts::run(app, jobs).await;
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let _ = app;
        let mut jobs = jobs;
        while jobs.recv().await.is_some() {}
        tracing::info!("native notifications are not built for this platform yet");
    }
}

/// Does what a press on a notification asks.
#[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))]
fn react(app: &AppHandle, reaction: cards::Reaction) {
    match reaction {
        cards::Reaction::OpenChat(conversation) => open_from_notification(app, conversation),
        cards::Reaction::Answer(answer) => answer_from_notification(app, answer),
        cards::Reaction::SwitchTo(nurse) => switch_from_notification(app, nurse),
    }
}

/// Another nurse's call was clicked: the window comes up with that nurse in front, behind
/// their PIN (once open, their call's banner answers it).
fn switch_from_notification(app: &AppHandle, nurse: Id) {
    crate::windows::show_main(app);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        use tauri::Manager;
        let state = app.state::<std::sync::Arc<crate::state::AppState>>();
        if let Err(e) = state.switch_to(nurse).await {
            tracing::warn!(kind = ?e.kind, "the nurse of a ring is no longer signed in");
        }
    });
}

/// What a ring notification's button asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Accept: the same flow as the window's Accept.
    Accept {
        /// The call's room.
        room: String,
    },
    /// Decline.
    Reject {
        /// The call.
        call: Id,
    },
}

/// Answers a call from its notification, as the window's buttons do; a failure (the call
/// was over meanwhile) is told in the window.
fn answer_from_notification(app: &AppHandle, answer: Answer) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        use tauri::Manager;
        let state = app.state::<std::sync::Arc<crate::state::AppState>>();
        let Ok(client) = state.client() else { return };
        // Accepting on a locked computer unlocks first: the window shows the lock with the
        // ringing call, and its Accept asks for the PIN.
        if matches!(answer, Answer::Accept { .. }) && state.lock().is_locked() {
            crate::windows::show_main(&app);
            return;
        }
        let failed = match &answer {
            Answer::Accept { room } => client.accept_call(room).await.err(),
            Answer::Reject { call } => client.reject_call(*call).await.err(),
        };
        if let Some(e) = failed {
            tracing::warn!(error = %e, ?answer, "answering from the notification failed");
            let message = nursecare_core::ErrorReport::of(&e).message;
            state.bridge.tell_error(message).await;
        }
    });
}

/// Brings the window up on a conversation (a notification was clicked).
fn open_from_notification(app: &AppHandle, conversation: Id) {
    crate::windows::show_main(app);
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        use tauri::Manager;
        let state = app.state::<std::sync::Arc<crate::state::AppState>>();
        state
            .bridge
            .tell(AppEvent::OpenConversation {
                conversation_id: conversation,
            })
            .await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use nursecare_wire::{Role, Sender};

    fn message(from: Id, text: &str, kind: MessageType) -> Message {
        serde_json::from_value(serde_json::json!({
            "id": 1, "conversationId": 7, "senderId": from, "content": text,
            "type": kind, "read": false, "createdAt": "2026-11-25T10:00:00.000Z",
            "sender": Sender { id: from, name: Some("Pat".into()), role: Role::Patient },
        }))
        .unwrap()
    }

    #[test]
    fn only_others_messages_outside_the_focused_open_chat_notify() {
        let m = message(2, "hi", MessageType::Text);
        assert!(worth_notifying(&m, 1, false, false, Some(7)), "unfocused");
        assert!(
            worth_notifying(&m, 1, false, true, Some(8)),
            "another chat open"
        );
        assert!(
            !worth_notifying(&m, 1, false, true, Some(7)),
            "open and focused"
        );
        assert!(!worth_notifying(&m, 2, false, false, None), "own message");
        assert!(!worth_notifying(&m, 1, true, false, None), "muted");
        let call = message(2, "VIDEO_CALL_STARTED", MessageType::System);
        assert!(
            !worth_notifying(&call, 1, false, false, None),
            "call notice"
        );
    }

    #[test]
    fn privacy_decides_what_shows() {
        let m = message(2, "my wound hurts", MessageType::Text);
        let (s, b) = content(NotificationPrivacy::default(), "Pat", &m);
        assert_eq!((s.as_str(), b.as_str()), ("Pat", "New message"));
        assert!(!b.contains("wound"));
        let (s, b) = content(NotificationPrivacy::SenderAndText, "Pat", &m);
        assert_eq!((s.as_str(), b.as_str()), ("Pat", "my wound hurts"));
        let (s, b) = content(NotificationPrivacy::Nothing, "Pat", &m);
        assert_eq!((s.as_str(), b.as_str()), ("NurseCare", "New message"));
        let long = message(2, &"x".repeat(500), MessageType::Text);
        let (_, b) = content(NotificationPrivacy::SenderAndText, "Pat", &long);
        assert_eq!(b.chars().count(), BODY_CHARS + 1);
    }

    fn shared_file(by: Id, name: &str, mimetype: &str) -> Event {
        Event::FileShared {
            conversation_id: 7,
            file: nursecare_wire::files::SharedFile {
                id: 4,
                filename: name.into(),
                mimetype: mimetype.into(),
                size: 10,
                url: "/files/link/4/1/s".into(),
                uploaded_by: Some(nursecare_wire::files::FileUploader {
                    id: by,
                    name: Some("Pat".into()),
                    email: "pat@example.com".into(),
                }),
                created_at: serde_json::from_value(serde_json::json!("2026-11-25T10:00:00.000Z"))
                    .unwrap(),
            },
        }
    }

    #[test]
    fn a_file_from_the_other_side_notifies_its_name_only_with_message_text() {
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::SenderOnly);
        n.on_event(&shared_file(2, "wound.jpg", "image/jpeg"), Some(1), false);
        assert!(
            matches!(jobs.try_recv(), Ok(Job::Show { conversation: 7, summary, body })
                if summary == "Pat" && body == "Sent a photo"),
            "the sender, never the name"
        );
        n.on_event(
            &shared_file(1, "mine.pdf", "application/pdf"),
            Some(1),
            false,
        );
        assert!(jobs.try_recv().is_err(), "one's own file");
        n.set_open(Some(7));
        n.on_event(
            &shared_file(2, "plan.pdf", "application/pdf"),
            Some(1),
            true,
        );
        assert!(
            jobs.try_recv().is_err(),
            "the chat on screen in a focused window"
        );
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::SenderAndText);
        n.on_event(
            &shared_file(2, "plan.pdf", "application/pdf"),
            Some(1),
            false,
        );
        assert!(
            matches!(jobs.try_recv(), Ok(Job::Show { body, .. }) if body == "Sent a file: plan.pdf")
        );
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::Nothing);
        n.on_event(
            &shared_file(2, "plan.pdf", "application/pdf"),
            Some(1),
            false,
        );
        assert!(
            matches!(jobs.try_recv(), Ok(Job::Show { summary, body, .. })
                if summary == "NurseCare" && body == "New file")
        );
    }

    #[test]
    fn a_locked_window_withdraws_what_is_up_and_names_no_one_until_opened() {
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::SenderAndText);
        n.on_event(&hi_from_the_patient(), Some(1), false);
        assert!(matches!(jobs.try_recv(), Ok(Job::Show { body, .. }) if body == "hi"));
        n.set_locked(true);
        assert!(
            matches!(jobs.try_recv(), Ok(Job::Withdraw { conversation: 7 })),
            "the card naming the patient goes"
        );
        n.on_event(&hi_from_the_patient(), Some(1), false);
        assert!(
            matches!(jobs.try_recv(), Ok(Job::Show { summary, body, .. })
            if summary == "NurseCare" && body == "New message")
        );
        n.on_event(
            &shared_file(2, "plan.pdf", "application/pdf"),
            Some(1),
            false,
        );
        assert!(
            matches!(jobs.try_recv(), Ok(Job::Show { summary, body, .. })
            if summary == "NurseCare" && body == "New file")
        );
        n.set_locked(false);
        n.on_event(&hi_from_the_patient(), Some(1), false);
        assert!(matches!(jobs.try_recv(), Ok(Job::Show { body, .. }) if body == "hi"));
    }

    #[test]
    fn an_urgent_message_notifies_through_mute_and_again_until_read() {
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::SenderOnly);
        n.on_event(&row(None), Some(1), false);
        n.on_event(
            &Event::ConversationChanged {
                summary: ConversationSummary {
                    muted: true,
                    ..summary_of(&row(None))
                },
            },
            Some(1),
            false,
        );
        n.on_event(&hi_from_the_patient(), Some(1), false);
        assert!(
            jobs.try_recv().is_err(),
            "muted: an ordinary message is quiet"
        );
        let mut urgent = message(2, "call me", MessageType::Text);
        urgent.id = 2;
        urgent.urgent = Some(true);
        n.on_event(
            &Event::MessageAdded {
                message: urgent,
                live: true,
            },
            Some(1),
            false,
        );
        assert!(
            matches!(jobs.try_recv(), Ok(Job::Show { body, .. }) if body == "Urgent: New message")
        );
        n.on_event(
            &Event::UrgentAgain {
                conversation_id: 7,
                message_id: 2,
                times: 1,
            },
            Some(1),
            false,
        );
        assert!(
            matches!(jobs.try_recv(), Ok(Job::Show { body, .. }) if body == "Urgent message, not read yet")
        );
        n.set_locked(true);
        let _withdrawn = jobs.try_recv();
        n.on_event(
            &Event::UrgentAgain {
                conversation_id: 7,
                message_id: 2,
                times: 2,
            },
            Some(1),
            false,
        );
        assert!(matches!(jobs.try_recv(), Ok(Job::Show { summary, .. }) if summary == "NurseCare"));
    }

    #[test]
    fn the_tray_hears_how_many_chats_hold_an_urgent_message() {
        let (n, _jobs) = Notifier::new(NotificationPrivacy::SenderOnly);
        let heard = std::sync::Arc::new(Mutex::new(Vec::new()));
        let into = heard.clone();
        n.on_urgent(std::sync::Arc::new(move |chats| {
            into.lock().unwrap().push(chats)
        }));
        let with = |urgent| Event::ConversationChanged {
            summary: ConversationSummary {
                urgent,
                ..summary_of(&row(None))
            },
        };
        n.on_event(&with(2), Some(1), false);
        n.on_event(&with(1), Some(1), false);
        n.on_event(&with(0), Some(1), false);
        assert_eq!(*heard.lock().unwrap(), vec![0, 1, 0], "told on change only");
    }

    fn summary_of(e: &Event) -> ConversationSummary {
        match e {
            Event::ConversationChanged { summary } => summary.clone(),
            _ => unreachable!(),
        }
    }

    /// A live "hi" from user 2 in conversation 7.
    fn hi_from_the_patient() -> Event {
        Event::MessageAdded {
            message: message(2, "hi", MessageType::Text),
            live: true,
        }
    }

    fn row(newest: Option<Message>) -> Event {
        Event::ConversationChanged {
            summary: ConversationSummary {
                id: 7,
                booking_id: None,
                other: None,
                last_message: newest,
                unread: 0,
                updated_at: serde_json::from_value(serde_json::json!("2026-11-25T09:00:00.000Z"))
                    .unwrap(),
                muted: false,
                draft: None,
                missed_call: false,
                last_file: None,
                urgent: 0,
            },
        }
    }

    fn at(id: Id, time: &str) -> Message {
        let mut m = message(2, &format!("m{id}"), MessageType::Text);
        m.id = id;
        m.created_at = serde_json::from_value(serde_json::json!(time)).unwrap();
        m
    }

    #[test]
    fn a_catch_up_notifies_once_for_the_newest_message_that_came_while_offline() {
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::SenderAndText);
        n.on_event(
            &row(Some(at(1, "2026-11-25T10:00:00.000Z"))),
            Some(1),
            false,
        );
        // Paging back finds older messages: no news.
        let older = Event::MessagesFound {
            conversation_id: 7,
            messages: vec![at(-2, "2026-11-25T08:00:00.000Z")],
        };
        n.on_event(&older, Some(1), false);
        assert!(jobs.try_recv().is_err(), "paging back is not news");
        // A catch-up after a reconnect finds two newer ones: one notification, the newest.
        let found = Event::MessagesFound {
            conversation_id: 7,
            messages: vec![
                at(2, "2026-11-25T11:00:00.000Z"),
                at(3, "2026-11-25T11:01:00.000Z"),
            ],
        };
        n.on_event(&found, Some(1), false);
        assert!(
            matches!(jobs.try_recv(), Ok(Job::Show { conversation: 7, body, .. }) if body == "m3")
        );
        assert!(jobs.try_recv().is_err(), "one notification");
        // The same messages found again (a second sync) are not news twice.
        n.on_event(&found, Some(1), false);
        assert!(jobs.try_recv().is_err(), "not twice");
        // A row from the cache that lags behind what was seen does not lower the mark.
        n.on_event(
            &row(Some(at(1, "2026-11-25T10:00:00.000Z"))),
            Some(1),
            false,
        );
        n.on_event(&found, Some(1), false);
        assert!(jobs.try_recv().is_err(), "the mark stays up");
    }

    #[test]
    fn a_catch_up_ending_with_my_own_message_still_notifies_the_patients() {
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::SenderAndText);
        // A conversation known with no message yet (a new booking's chat).
        n.on_event(&row(None), Some(1), false);
        let mut mine = at(3, "2026-11-25T11:02:00.000Z");
        mine.sender_id = 1;
        let found = Event::MessagesFound {
            conversation_id: 7,
            messages: vec![at(2, "2026-11-25T11:00:00.000Z"), mine],
        };
        n.on_event(&found, Some(1), false);
        assert!(matches!(jobs.try_recv(), Ok(Job::Show { body, .. }) if body == "m2"));
    }

    #[test]
    fn a_first_sync_of_a_conversation_never_seen_is_not_news() {
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::SenderOnly);
        let found = Event::MessagesFound {
            conversation_id: 7,
            messages: vec![at(2, "2026-11-25T11:00:00.000Z")],
        };
        n.on_event(&found, Some(1), false);
        assert!(
            jobs.try_recv().is_err(),
            "a whole history after signing in is not a notification"
        );
        let mut read = at(4, "2026-11-25T12:00:00.000Z");
        read.read = true;
        n.on_event(
            &Event::MessagesFound {
                conversation_id: 7,
                messages: vec![read],
            },
            Some(1),
            false,
        );
        assert!(jobs.try_recv().is_err(), "read elsewhere already");
    }

    #[test]
    fn signing_out_withdraws_everything() {
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::SenderOnly);
        n.on_event(&hi_from_the_patient(), Some(1), false);
        assert!(matches!(jobs.try_recv(), Ok(Job::Show { .. })));
        n.clear();
        assert_eq!(jobs.try_recv(), Ok(Job::Withdraw { conversation: 7 }));
        n.clear();
        assert!(jobs.try_recv().is_err(), "once");
    }

    #[test]
    fn a_read_conversation_withdraws_its_notification() {
        let (n, mut jobs) = Notifier::new(NotificationPrivacy::SenderOnly);
        n.on_event(&hi_from_the_patient(), Some(1), false);
        assert!(matches!(
            jobs.try_recv(),
            Ok(Job::Show {
                conversation: 7,
                ..
            })
        ));
        let mut counts = std::collections::BTreeMap::new();
        counts.insert(7, 1);
        n.on_event(
            &Event::Unread {
                conversations: counts,
                total: 1,
            },
            Some(1),
            false,
        );
        assert!(jobs.try_recv().is_err(), "still unread: kept");
        n.on_event(
            &Event::Unread {
                conversations: Default::default(),
                total: 0,
            },
            Some(1),
            false,
        );
        assert_eq!(jobs.try_recv(), Ok(Job::Withdraw { conversation: 7 }));
    }
}
