//! The core's event streams → the window's channel, in order and without loss.
//!
//! Several nurses may be signed in (a ward's shared computer); the window shows one account
//! at a time, and only that account's events reach it. The others' are shown to the observer
//! only (counts, calls). The window may attach late (start-up) or again (a reload), and the
//! account shown may change: each gets a snapshot first, then every event the snapshot does
//! not already hold. Events that arrive while no window is attached are held (bounded) so
//! notices such as a rebuilt cache are not lost.

use crate::ui_types::AppEvent;
use nursecare_core::events::Event;
use nursecare_core::{Client, ErrorReport, EventStream};
use nursecare_wire::Id;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tauri::ipc::Channel;
use tokio::sync::Mutex;

/// Events kept while no window listens; past this the oldest go (the snapshot a window gets
/// when it attaches holds the state they carried).
const HOLD_AT_MOST: usize = 10_000;

/// Most events sent to the window in one channel message.
const BATCH_AT_MOST: usize = 500;

/// Under load the window gets at most one channel message per frame: each one is a script
/// the webview evaluates (the event's JSON inline in it), and thousands of them a second grew
/// the web process by more than 100 MB in a flood of live messages. An event after a quiet
/// frame goes at once.
const FRAME: std::time::Duration = std::time::Duration::from_millis(16);

/// Something in the shell that reacts to core events (tray count, notifications, title), with
/// whose account each came from.
pub type Observer = Arc<dyn Fn(Id, &Event) + Send + Sync>;

/// The bridge: at most one window channel, and the events of the account it shows.
#[derive(Default)]
pub struct Bridge {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    channel: Option<Channel<AppEvent>>,
    /// The account whose events go to the window.
    shown: Option<Id>,
    /// Events received from each account's stream so far (their place numbers, which a
    /// snapshot's `events_before` counts in).
    received: HashMap<Id, u64>,
    /// Events numbered below this are in the snapshot the window has.
    covered_to: u64,
    held: VecDeque<(u64, Event)>,
    /// Hold events until the window has the account's snapshot (a new account's first
    /// events must not overtake it).
    paused: bool,
}

/// Notices: not state, so a snapshot does not carry them; a window should see them even
/// when they came before its snapshot.
fn is_notice(event: &Event) -> bool {
    matches!(event, Event::CacheRebuilt { .. } | Event::Error { .. })
}

impl Bridge {
    /// The window's (new) channel; with an account running, a snapshot goes first.
    pub async fn attach(
        &self,
        channel: Channel<AppEvent>,
        client: Option<&Client>,
    ) -> Result<(), ErrorReport> {
        let mut inner = self.inner.lock().await;
        inner.channel = Some(channel);
        if let Some(client) = client {
            Self::resend(&mut inner, client).await?;
        }
        Ok(())
    }

    /// A new account's stream: read until it ends (the account stops), each event shown to
    /// `observe` first; forwarded while the account is the one shown ([`Bridge::show`]).
    pub async fn start(
        self: &Arc<Self>,
        user: Id,
        mut stream: EventStream,
        observe: Observer,
    ) -> tokio::task::JoinHandle<()> {
        self.inner.lock().await.received.insert(user, 0);
        let bridge = self.clone();
        tokio::spawn(async move {
            let mut last_sent: Option<tokio::time::Instant> = None;
            while let Some(first) = stream.recv().await {
                let mut run = vec![first];
                // Sent less than a frame ago: what comes until the frame ends goes with it.
                if let Some(until) = last_sent.map(|t| t + FRAME)
                    && tokio::time::Instant::now() < until
                {
                    while run.len() < BATCH_AT_MOST {
                        match tokio::time::timeout_at(until, stream.recv()).await {
                            Ok(Some(e)) => run.push(e),
                            // The frame is over, or the stream ended (the next recv says so).
                            _ => break,
                        }
                    }
                }
                // Whatever else is already waiting goes with it.
                while run.len() < BATCH_AT_MOST {
                    match stream.try_recv() {
                        Ok(e) => run.push(e),
                        Err(_) => break,
                    }
                }
                for event in &run {
                    observe(user, event);
                }
                bridge.forward(user, run).await;
                last_sent = Some(tokio::time::Instant::now());
            }
        })
    }

    /// The window shows `client`'s account from now on (or none): nothing of the one before
    /// reaches it again, and an attached window gets the new one's snapshot now (else at
    /// attach).
    pub async fn show(&self, client: Option<&Client>) -> Result<(), ErrorReport> {
        let mut inner = self.inner.lock().await;
        inner.shown = client.map(Client::me);
        inner.covered_to = 0;
        inner.held.clear();
        inner.paused = true;
        match client {
            Some(client) => Self::resend(&mut inner, client).await,
            None => Ok(()),
        }
    }

    /// The account whose events the window gets.
    pub async fn shown(&self) -> Option<Id> {
        self.inner.lock().await.shown
    }

    /// An account stopped: its place numbers go.
    pub async fn forget(&self, user: Id) {
        let mut inner = self.inner.lock().await;
        inner.received.remove(&user);
        if inner.shown == Some(user) {
            inner.shown = None;
            inner.held.clear();
        }
    }

    /// A sentence for the user in the window's notices (as a core `error` event).
    pub async fn tell_error(&self, message: String) {
        self.tell(AppEvent::Core {
            event: Event::Error { message },
        })
        .await;
    }

    /// Sends something of the shell's own (session changes, open requests).
    pub async fn tell(&self, event: AppEvent) {
        let inner = self.inner.lock().await;
        if let Some(ch) = &inner.channel
            && ch.send(event).is_err()
        {
            tracing::debug!("window channel closed");
        }
    }

    /// Sends a run of events (one channel message for many: a burst costs the webview one
    /// message, not thousands), or holds them while no window listens or a snapshot is due.
    async fn forward(&self, user: Id, events: Vec<Event>) {
        let mut inner = self.inner.lock().await;
        let Some(received) = inner.received.get_mut(&user) else {
            return;
        };
        let first = *received;
        *received += events.len() as u64;
        if inner.shown != Some(user) {
            return;
        }
        let mut fresh = Vec::with_capacity(events.len());
        for (place, event) in (first..).zip(events) {
            if place >= inner.covered_to || is_notice(&event) {
                fresh.push((place, event));
            }
        }
        if fresh.is_empty() {
            return;
        }
        if !inner.paused
            && let Some(ch) = &inner.channel
        {
            let message = match fresh.len() {
                1 => AppEvent::Core {
                    event: fresh[0].1.clone(),
                },
                _ => AppEvent::CoreBatch {
                    events: fresh.iter().map(|(_, e)| e.clone()).collect(),
                },
            };
            if ch.send(message).is_ok() {
                return;
            }
            // The window went away (a reload): keep them for the next attach.
            inner.channel = None;
        }
        for held in fresh {
            if inner.held.len() == HOLD_AT_MOST {
                inner.held.pop_front();
            }
            inner.held.push_back(held);
        }
    }

    /// The snapshot, then held events it does not cover. The lock is held throughout, so the
    /// forwarder waits and nothing overtakes the snapshot.
    async fn resend(inner: &mut Inner, client: &Client) -> Result<(), ErrorReport> {
        let snapshot = client.snapshot().await.map_err(|e| ErrorReport::of(&e))?;
        let covered = snapshot.events_before;
        let Some(ch) = inner.channel.clone() else {
            return Ok(());
        };
        if ch.send(AppEvent::Snapshot { snapshot }).is_err() {
            inner.channel = None;
            return Ok(());
        }
        crate::startup::step("first snapshot sent to the window");
        inner.covered_to = covered;
        inner.paused = false;
        let newer: Vec<Event> = std::mem::take(&mut inner.held)
            .into_iter()
            .filter(|(place, event)| *place >= covered || is_notice(event))
            .map(|(_, event)| event)
            .collect();
        if !newer.is_empty() && ch.send(AppEvent::CoreBatch { events: newer }).is_err() {
            // Gone again: its next attach brings a fresh snapshot.
            inner.channel = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;
    use tauri::ipc::InvokeResponseBody;

    /// Each channel message as the conversation ids of the events it carried.
    type Seen = Arc<StdMutex<Vec<Vec<i64>>>>;

    /// A channel that records what it carries.
    fn recording() -> (Channel<AppEvent>, Seen) {
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let channel = Channel::new(move |body| {
            let InvokeResponseBody::Json(json) = body else {
                panic!("a raw message")
            };
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            let events = match v["type"].as_str() {
                Some("core") => vec![v["event"].clone()],
                Some("coreBatch") => v["events"].as_array().unwrap().clone(),
                other => panic!("{other:?}"),
            };
            log.lock().unwrap().push(
                events
                    .into_iter()
                    .map(|e| e["conversationId"].as_i64().unwrap())
                    .collect(),
            );
            Ok(())
        });
        (channel, seen)
    }

    fn typing(n: i64) -> Event {
        Event::Typing {
            conversation_id: n,
            user_id: 2,
            typing: true,
        }
    }

    async fn until(seen: &StdMutex<Vec<Vec<i64>>>, events: usize) {
        while seen.lock().unwrap().iter().map(Vec::len).sum::<usize>() < events {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_as_few_messages_in_order_and_a_lone_event_at_once() {
        let bridge = Arc::new(Bridge::default());
        let (channel, seen) = recording();
        {
            let mut inner = bridge.inner.lock().await;
            inner.channel = Some(channel);
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let pump = bridge.start(7, rx, Arc::new(|_, _| {})).await;
        {
            let mut inner = bridge.inner.lock().await;
            inner.shown = Some(7);
            inner.paused = false;
        }

        // A lone event goes at once, alone.
        let start = tokio::time::Instant::now();
        tx.send(typing(0)).unwrap();
        until(&seen, 1).await;
        assert!(start.elapsed() < FRAME, "{:?}", start.elapsed());
        // A burst right after it: 1,000 events over about 50 ms.
        for n in 1..=1000 {
            tx.send(typing(n)).unwrap();
            if n % 20 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        until(&seen, 1001).await;
        let messages = seen.lock().unwrap().clone();
        let order: Vec<i64> = messages.iter().flatten().copied().collect();
        assert_eq!(
            order,
            (0..=1000).collect::<Vec<_>>(),
            "every event once, in order"
        );
        assert!(
            messages.len() <= 8,
            "a frame's events go together: {} messages",
            messages.len()
        );
        // After a quiet frame, the next one goes at once again.
        tokio::time::sleep(FRAME * 3).await;
        let before = tokio::time::Instant::now();
        tx.send(typing(1001)).unwrap();
        until(&seen, 1002).await;
        assert!(before.elapsed() < FRAME);
        drop(tx);
        pump.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn another_nurses_events_never_reach_the_window_but_reach_the_observer() {
        let bridge = Arc::new(Bridge::default());
        let (channel, seen) = recording();
        {
            let mut inner = bridge.inner.lock().await;
            inner.channel = Some(channel);
        }
        let observed: Arc<StdMutex<Vec<(Id, i64)>>> = Arc::default();
        let log = observed.clone();
        let observer: Observer = Arc::new(move |user, e| {
            if let Event::Typing {
                conversation_id, ..
            } = e
            {
                log.lock().unwrap().push((user, *conversation_id));
            }
        });
        let (shown_tx, shown_rx) = tokio::sync::mpsc::unbounded_channel();
        let (other_tx, other_rx) = tokio::sync::mpsc::unbounded_channel();
        let shown = bridge.start(7, shown_rx, observer.clone()).await;
        let other = bridge.start(8, other_rx, observer).await;
        {
            let mut inner = bridge.inner.lock().await;
            inner.shown = Some(7);
            inner.paused = false;
        }
        other_tx.send(typing(80)).unwrap();
        shown_tx.send(typing(70)).unwrap();
        other_tx.send(typing(81)).unwrap();
        shown_tx.send(typing(71)).unwrap();
        until(&seen, 2).await;
        drop((shown_tx, other_tx));
        shown.await.unwrap();
        other.await.unwrap();
        let to_window: Vec<i64> = seen.lock().unwrap().iter().flatten().copied().collect();
        assert_eq!(to_window, [70, 71], "only the shown account's events");
        let mut all = observed.lock().unwrap().clone();
        all.sort();
        assert_eq!(all, [(7, 70), (7, 71), (8, 80), (8, 81)]);
        // Its place numbers were still counted (a snapshot of it, when shown, counts them).
        assert_eq!(bridge.inner.lock().await.received.get(&8), Some(&2));
    }
}
