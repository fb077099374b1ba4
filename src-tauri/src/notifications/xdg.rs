//! Linux: the XDG notification service (org.freedesktop.Notifications) on the session bus,
//! spoken directly for what notify-rust hides: actions, withdrawal by id, and the
//! ActionInvoked and NotificationClosed signals.

use super::Job;
use super::cards::{self, Card, Kind, Press, Ring, Slot, Step};
use futures_util::StreamExt;
use std::collections::HashMap;
use tauri::AppHandle;
use tokio::sync::mpsc;
use zbus::zvariant::Value;

#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications"
)]
trait Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;
    fn close_notification(&self, id: u32) -> zbus::Result<()>;
    fn get_capabilities(&self) -> zbus::Result<Vec<String>>;
    #[zbus(signal)]
    fn action_invoked(&self, id: u32, action_key: String) -> zbus::Result<()>;
    #[zbus(signal)]
    fn notification_closed(&self, id: u32, reason: u32) -> zbus::Result<()>;
}

/// Text for a server that reads the body as markup.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What the server said, as one stream.
enum Signal {
    Invoked(u32, String),
    Closed(u32),
}

/// A connection to the notification server and its signals.
struct Link {
    proxy: NotificationsProxy<'static>,
    markup: bool,
    actions: bool,
    signals: futures_util::stream::BoxStream<'static, Signal>,
}

/// How to speak to the server: a [`Link`] without its signal stream, which is not `Sync`
/// (so a `&Link` held across an await would make the task unsendable).
#[derive(Clone, Copy)]
struct Speaker<'a> {
    proxy: &'a NotificationsProxy<'static>,
    markup: bool,
    actions: bool,
}

impl Link {
    fn speaker(&self) -> Speaker<'_> {
        Speaker {
            proxy: &self.proxy,
            markup: self.markup,
            actions: self.actions,
        }
    }
}

impl Link {
    /// Connects; a server may come later (activated on demand, or started after the app),
    /// so this is tried again at the next notification.
    async fn connect() -> zbus::Result<Self> {
        let bus = zbus::Connection::session().await?;
        let proxy = NotificationsProxy::new(&bus).await?;
        let caps = proxy.get_capabilities().await?;
        let invoked = proxy
            .receive_action_invoked()
            .await?
            .filter_map(|s| async move {
                s.args()
                    .ok()
                    .map(|a| Signal::Invoked(a.id, a.action_key.clone()))
            });
        let closed = proxy
            .receive_notification_closed()
            .await?
            .filter_map(|s| async move { s.args().ok().map(|a| Signal::Closed(a.id)) });
        let link = Self {
            markup: caps.iter().any(|c| c == "body-markup"),
            actions: caps.iter().any(|c| c == "actions"),
            proxy,
            signals: futures_util::stream::select(invoked, closed).boxed(),
        };
        tracing::info!(actions = link.actions, "notification server found");
        Ok(link)
    }
}

/// The next signal, or never without a link.
async fn next_signal(link: &mut Option<Link>) -> Option<Signal> {
    match link {
        Some(l) => l.signals.next().await,
        None => std::future::pending().await,
    }
}

/// The notifications up: slot → (the server's id, a ring's call).
type Shown = HashMap<Slot, (u32, Option<Ring>)>;

pub(super) async fn run(app: AppHandle, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut link: Option<Link> = None;
    let mut said_absent = false;
    let mut shown = Shown::new();
    loop {
        tokio::select! {
            job = jobs.recv() => {
                let Some(job) = job else { break };
                if link.is_none() {
                    match Link::connect().await {
                        Ok(l) => link = Some(l),
                        Err(e) => {
                            if !said_absent {
                                tracing::info!(error = %e, "no notification server; the window shows everything");
                                said_absent = true;
                            }
                            continue;
                        }
                    }
                }
                let Some(l) = link.as_ref() else { continue };
                let Some(step) = cards::step(job) else { continue };
                if let Err(e) = apply(l.speaker(), step, &mut shown).await {
                    tracing::warn!(error = %e, "notification server failed; reconnecting at the next one");
                    link = None;
                }
            }
            signal = next_signal(&mut link) => match signal {
                Some(Signal::Invoked(id, key)) => {
                    let Some((slot, (_, ring))) = shown.iter().find(|(_, (n, _))| *n == id) else {
                        continue;
                    };
                    if let Some(reaction) = Press::from_key(&key)
                        .and_then(|press| cards::reaction(*slot, ring.as_ref(), press))
                    {
                        super::react(&app, reaction);
                    }
                }
                Some(Signal::Closed(id)) => shown.retain(|_, (n, _)| *n != id),
                // The server went away: connect again at the next notification.
                None => link = None,
            },
        }
    }
}

async fn apply(link: Speaker<'_>, step: Step, shown: &mut Shown) -> zbus::Result<()> {
    match step {
        Step::Show(card) => {
            let replaces = shown.get(&card.slot).map_or(0, |(id, _)| *id);
            let id = show(link, replaces, &card).await?;
            shown.insert(card.slot, (id, card.ring));
        }
        Step::Withdraw(slot) => {
            if let Some((id, _)) = shown.remove(&slot) {
                link.proxy.close_notification(id).await?;
            }
        }
    }
    Ok(())
}

/// Shows `card` (the body escaped where the server reads markup, the buttons only where it
/// shows them); answers its id. A ring is critical: it stays until answered and shows over
/// full-screen windows.
async fn show(link: Speaker<'_>, replaces: u32, card: &Card) -> zbus::Result<u32> {
    let body = if link.markup {
        escape(&card.body)
    } else {
        card.body.clone()
    };
    let (category, urgency) = match card.kind {
        Kind::Message => ("im.received", 1u8),
        Kind::Ring => ("call.incoming", 2),
        Kind::Missed => ("call.unanswered", 1),
    };
    let mut hints = HashMap::new();
    hints.insert("category", Value::from(category));
    hints.insert("urgency", Value::U8(urgency));
    let ring = card.kind == Kind::Ring;
    if ring {
        hints.insert("resident", Value::Bool(true));
    }
    let actions: Vec<&str> = if link.actions {
        card.buttons
            .iter()
            .flat_map(|(press, label)| [press.key(), *label])
            .collect()
    } else {
        Vec::new()
    };
    link.proxy
        .notify(
            "NurseCare",
            replaces,
            "nursecare-desktop",
            &card.title,
            &body,
            &actions,
            hints,
            // A ring never expires by itself; the rest as the server likes.
            if ring { 0 } else { -1 },
        )
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped() {
        assert_eq!(super::escape("<b>&"), "&lt;b&gt;&amp;");
    }
}
