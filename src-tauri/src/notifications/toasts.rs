//! Windows: toasts, drawn from the same [`Card`]s as Linux's notifications. A toast shows under
//! the app's name only for an AppUserModelID that Windows knows: the installers put it on the
//! Start-menu shortcut, and the app sets it on its process and registers it under HKCU at
//! start (for a copy run without an installer). Each toast carries its slot as tag, so a new
//! one replaces it and a withdrawal takes it off the screen and out of the Action Center.
//!
//! The toast's XML and the reading of what it hands back are plain functions, tested on every
//! platform; the WinRT calls are Windows-only and thin.

use super::cards::{Card, Kind, Press, Slot};

/// The app's AppUserModelID: Tauri's identifier, the installers' shortcut property.
pub const APP_ID: &str = "care.nursecare.desktop";
/// Every toast's group (with the tag, what a withdrawal names).
pub const GROUP: &str = "nursecare";

/// XML-escapes text for an element or an attribute, leaving out what XML 1.0 cannot carry at
/// all (most control characters: a name or message holding one would lose the whole toast).
fn escape(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
        })
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// What a press hands back: the slot's tag and the press's key.
fn argument(slot: Slot, press: Press) -> String {
    format!("{}|{}", slot.tag(), press.key())
}

/// The slot and press an activation's argument names (`None` for anything else).
pub fn pressed(argument: &str) -> Option<(Slot, Press)> {
    let (tag, key) = argument.split_once('|')?;
    Some((Slot::from_tag(tag)?, Press::from_key(key)?))
}

/// The toast's XML: the title and body as text, a click on it as [`Press::Open`], its other
/// buttons as actions. A ring uses the incoming-call scenario (it stays on screen with a
/// looping ring until answered).
pub fn xml(card: &Card) -> String {
    let ring = card.kind == Kind::Ring;
    let mut out = format!(
        r#"<toast launch="{}"{}>"#,
        escape(&argument(card.slot, Press::Open)),
        if ring {
            r#" scenario="incomingCall""#
        } else {
            ""
        }
    );
    out.push_str(&format!(
        r#"<visual><binding template="ToastGeneric"><text>{}</text><text>{}</text></binding></visual>"#,
        escape(&card.title),
        escape(&card.body)
    ));
    if ring {
        out.push_str(r#"<audio src="ms-winsoundevent:Notification.Looping.Call" loop="true"/>"#);
    }
    let buttons: Vec<String> = card
        .buttons
        .iter()
        .filter(|(press, _)| *press != Press::Open)
        .map(|(press, label)| {
            format!(
                r#"<action content="{}" arguments="{}" activationType="foreground"/>"#,
                escape(label),
                escape(&argument(card.slot, *press))
            )
        })
        .collect();
    if !buttons.is_empty() {
        out.push_str("<actions>");
        out.extend(buttons);
        out.push_str("</actions>");
    }
    out.push_str("</toast>");
    out
}

#[cfg(windows)]
pub use winrt::{clear_all, register_app_id, run};

#[cfg(windows)]
mod winrt {
    use super::super::Job;
    use super::super::cards::{self, Press, Ring, Slot, Step};
    use super::{APP_ID, GROUP, pressed, xml};
    use std::collections::HashMap;
    use tauri::AppHandle;
    use tokio::sync::mpsc;
    use windows::Data::Xml::Dom::XmlDocument;
    use windows::Foundation::TypedEventHandler;
    use windows::UI::Notifications::{
        ToastActivatedEventArgs, ToastNotification, ToastNotificationManager, ToastNotifier,
    };
    use windows::core::{HSTRING, IInspectable, Interface};

    /// Sets the process's AppUserModelID (taskbar grouping, toasts) and registers it under
    /// HKCU with the app's name, so toasts show as NurseCare even without the installer's
    /// shortcut. Failures are logged: the app works without toasts.
    pub fn register_app_id() {
        use windows::Win32::UI::Shell::SetCurrentProcessExplicitAppUserModelID;
        // SAFETY: a static, NUL-terminated string.
        if let Err(e) = unsafe { SetCurrentProcessExplicitAppUserModelID(&HSTRING::from(APP_ID)) } {
            tracing::warn!(error = %e, "the AppUserModelID was not set");
        }
        let key = format!(r"Software\Classes\AppUserModelId\{APP_ID}");
        if let Err(e) = windows_registry::CURRENT_USER
            .create(&key)
            .and_then(|k| k.set_string("DisplayName", "NurseCare"))
        {
            tracing::warn!(error = %e, "the AppUserModelID was not registered");
        }
    }

    /// Takes every toast of the app away (quitting: a ring or a message left behind would
    /// answer nothing, and may name a patient).
    pub fn clear_all() {
        if let Ok(history) = ToastNotificationManager::History() {
            let _ = history.ClearWithId(&HSTRING::from(APP_ID));
        }
    }

    /// The toasts up: the notification (to hide it) and a ring's call.
    type Shown = HashMap<Slot, (ToastNotification, Option<Ring>)>;

    pub async fn run(app: AppHandle, mut jobs: mpsc::UnboundedReceiver<Job>) {
        let notifier =
            match ToastNotificationManager::CreateToastNotifierWithId(&HSTRING::from(APP_ID)) {
                Ok(n) => Some(n),
                Err(e) => {
                    tracing::info!(error = %e, "no toasts here; the window shows everything");
                    None
                }
            };
        // A ring or a message left by an earlier run answers nothing now.
        clear_all();
        let (presses, mut pressed_rx) = mpsc::unbounded_channel::<(Slot, Press)>();
        let mut shown = Shown::new();
        let mut said_failed = false;
        loop {
            tokio::select! {
                job = jobs.recv() => {
                    let Some(job) = job else { break };
                    let (Some(notifier), Some(step)) = (&notifier, cards::step(job)) else { continue };
                    if let Err(e) = apply(notifier, step, &mut shown, &presses) {
                        if said_failed {
                            tracing::debug!(error = %e, "a toast could not be shown");
                        } else {
                            tracing::warn!(error = %e, "a toast could not be shown");
                            said_failed = true;
                        }
                    }
                }
                Some((slot, press)) = pressed_rx.recv() => {
                    let ring = shown.get(&slot).and_then(|(_, ring)| ring.as_ref());
                    if let Some(reaction) = cards::reaction(slot, ring, press) {
                        super::super::react(&app, reaction);
                    }
                }
            }
        }
    }

    fn apply(
        notifier: &ToastNotifier,
        step: Step,
        shown: &mut Shown,
        presses: &mpsc::UnboundedSender<(Slot, Press)>,
    ) -> windows::core::Result<()> {
        match step {
            Step::Show(card) => {
                let doc = XmlDocument::new()?;
                doc.LoadXml(&HSTRING::from(xml(&card)))?;
                let toast = ToastNotification::CreateToastNotification(&doc)?;
                toast.SetTag(&HSTRING::from(card.slot.tag()))?;
                toast.SetGroup(&HSTRING::from(GROUP))?;
                toast.SetExpiresOnReboot(true)?;
                let presses = presses.clone();
                // Runs on a WinRT pool thread: only hand the press over.
                toast.Activated(&TypedEventHandler::<ToastNotification, IInspectable>::new(
                    move |_, args| {
                        let argument = args
                            .as_ref()
                            .and_then(|a| a.cast::<ToastActivatedEventArgs>().ok())
                            .and_then(|a| a.Arguments().ok())
                            .map(|h| h.to_string_lossy())
                            .unwrap_or_default();
                        if let Some(press) = pressed(&argument) {
                            let _ = presses.send(press);
                        }
                        Ok(())
                    },
                ))?;
                if let Some((old, _)) = shown.remove(&card.slot) {
                    let _ = notifier.Hide(&old);
                }
                notifier.Show(&toast)?;
                shown.insert(card.slot, (toast, card.ring));
            }
            Step::Withdraw(slot) => {
                if let Some((toast, _)) = shown.remove(&slot) {
                    let _ = notifier.Hide(&toast);
                }
                // Out of the Action Center too (an app without a package names itself).
                ToastNotificationManager::History()?.RemoveGroupedTagWithId(
                    &HSTRING::from(slot.tag()),
                    &HSTRING::from(GROUP),
                    &HSTRING::from(APP_ID),
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::cards::{Step, step};
    use super::super::{Alert, Job};
    use super::*;

    fn card(job: Job) -> Card {
        match step(job) {
            Some(Step::Show(card)) => card,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_ring_is_an_incoming_call_toast_with_accept_and_decline() {
        let ring = card(Job::Call(Alert::Ring {
            call: 7,
            conversation: 3,
            room: "room-7".into(),
            caller: Some("Daniel <Reyes> & co".into()),
            in_call: false,
        }));
        let x = xml(&ring);
        assert!(
            x.starts_with(r#"<toast launch="ring-7|default" scenario="incomingCall">"#),
            "{x}"
        );
        assert!(
            x.contains(
                "<text>Daniel &lt;Reyes&gt; &amp; co</text><text>Incoming video call</text>"
            ),
            "{x}"
        );
        assert!(
            x.contains(r#"<action content="Accept" arguments="ring-7|accept""#),
            "{x}"
        );
        assert!(
            x.contains(r#"<action content="Decline" arguments="ring-7|reject""#),
            "{x}"
        );
        assert!(
            !x.contains(r#"content="Open""#),
            "a click on the toast opens: {x}"
        );
        assert!(x.contains("Looping.Call"), "{x}");
    }

    #[test]
    fn a_message_is_a_plain_toast_that_opens_its_chat() {
        let message = card(Job::Show {
            conversation: 3,
            summary: "Daniel Reyes".into(),
            body: "New message".into(),
        });
        let x = xml(&message);
        assert_eq!(
            x,
            r#"<toast launch="message-3|default"><visual><binding template="ToastGeneric"><text>Daniel Reyes</text><text>New message</text></binding></visual></toast>"#
        );
    }

    #[test]
    fn characters_xml_cannot_carry_are_left_out() {
        assert_eq!(escape("a\u{1}b\u{8}c\u{1b}d\u{FFFF}"), "abcd");
        assert_eq!(escape("line\nnext\ttab"), "line\nnext\ttab");
        assert_eq!(escape("Zoë <&> \"'"), "Zoë &lt;&amp;&gt; &quot;&apos;");
    }

    #[test]
    fn what_a_toast_hands_back_is_read_back() {
        assert_eq!(
            pressed("ring-7|accept"),
            Some((Slot::Ring(7), Press::Accept))
        );
        assert_eq!(
            pressed("message-3|default"),
            Some((Slot::Message(3), Press::Open))
        );
        assert_eq!(pressed(""), None);
        assert_eq!(pressed("ring-7"), None);
        assert_eq!(pressed("ring-7|dance"), None);
    }

    #[test]
    fn the_app_id_is_the_apps_identifier() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(conf["identifier"], APP_ID);
    }
}
