//! The core's event streams → the window's feed, in order and without loss.
//!
//! Several nurses may be signed in (a ward's shared computer); the window shows one account
//! at a time, and only that account's events reach it. The others' are shown to the observer
//! only (counts, calls). The window may attach late (start-up) or again (a reload), and the
//! account shown may change: each gets a snapshot first, then every event the snapshot does
//! not already hold. Events that arrive while no window is attached are held (bounded) so
//! notices such as a rebuilt cache are not lost. The window pulls what is for it from its
//! [`Feed`] (bytes, not scripts: see `feed.rs`).

use crate::feed::{Feed, Pulled};
use crate::ui_types::{AppEvent, FeedNotice};
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

/// Most events read from a stream before they go to the feed together.
const RUN_AT_MOST: usize = 500;

/// Something in the shell that reacts to core events (tray count, notifications, title), with
/// whose account each came from.
pub type Observer = Arc<dyn Fn(Id, &Event) + Send + Sync>;

/// The bridge: at most one window's feed, and the events of the account it shows.
#[derive(Default)]
pub struct Bridge {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    feed: Option<Feed>,
    /// Feeds made so far (each attach makes one; its number is its id).
    feeds: u64,
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
    /// A (new) page: its feed, told through `notices`, and what is in it already (with an
    /// account running, its snapshot): the page gets them in `attach`'s answer, not after a
    /// notice and a pull. Whatever the page before it had not pulled goes with the old feed.
    pub async fn attach(
        &self,
        notices: Channel<FeedNotice>,
        client: Option<&Client>,
    ) -> Result<(u64, Vec<AppEvent>), ErrorReport> {
        let mut inner = self.inner.lock().await;
        inner.feeds += 1;
        let id = inner.feeds;
        inner.feed = Some(Feed::new(notices, id));
        if let Some(client) = client {
            Self::resend(&mut inner, client).await?;
        }
        let first = match inner.feed.as_mut().map(Feed::pull) {
            Some(Pulled::Items(items)) => items,
            _ => Vec::new(),
        };
        Ok((id, first))
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
            while let Some(first) = stream.recv().await {
                // Whatever else is already waiting goes with it (one lock, one push).
                let mut run = vec![first];
                while run.len() < RUN_AT_MOST {
                    match stream.try_recv() {
                        Ok(e) => run.push(e),
                        Err(_) => break,
                    }
                }
                for event in &run {
                    observe(user, event);
                }
                bridge.forward(user, run).await;
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
        if let Some(feed) = self.inner.lock().await.feed.as_mut() {
            feed.push(event);
        }
    }

    /// What waits for the page of feed `feed` (none for a page from before a reload). A feed
    /// that overflowed starts again from a snapshot of `client`, the account shown.
    pub async fn pull(
        &self,
        feed: u64,
        client: Option<&Client>,
    ) -> Result<Vec<AppEvent>, ErrorReport> {
        let mut inner = self.inner.lock().await;
        let Some(f) = inner.feed.as_mut().filter(|f| f.id() == feed) else {
            return Ok(Vec::new());
        };
        match f.pull() {
            Pulled::Items(items) => Ok(items),
            Pulled::Overflowed => {
                tracing::info!("the window fell behind; it starts again from a snapshot");
                // A failed snapshot leaves the feed overflowed: the page's next pull tries again.
                if let Some(client) = client.filter(|c| inner.shown == Some(c.me())) {
                    Self::resend(&mut inner, client).await?;
                }
                let Some(feed) = inner.feed.as_mut() else {
                    return Ok(Vec::new());
                };
                feed.resynced();
                match feed.pull() {
                    Pulled::Items(items) => Ok(items),
                    Pulled::Overflowed => Ok(Vec::new()),
                }
            }
        }
    }

    /// Queues a run of events for the page, or holds them while no page listens or a
    /// snapshot is due.
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
            && let Some(feed) = inner.feed.as_mut()
        {
            feed.push_events(fresh.into_iter().map(|(_, e)| e).collect());
            return;
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
        let Some(feed) = inner.feed.as_mut() else {
            return Ok(());
        };
        feed.push(AppEvent::Snapshot { snapshot });
        crate::startup::step("first snapshot ready for the window");
        inner.covered_to = covered;
        inner.paused = false;
        let newer: Vec<Event> = std::mem::take(&mut inner.held)
            .into_iter()
            .filter(|(place, event)| *place >= covered || is_notice(event))
            .map(|(_, event)| event)
            .collect();
        if !newer.is_empty()
            && let Some(feed) = inner.feed.as_mut()
        {
            feed.push_events(newer);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tauri::ipc::InvokeResponseBody;

    /// A page's notice channel: counts the notices and wakes whoever waits for one.
    struct Page {
        notices: Arc<AtomicUsize>,
        told: Arc<tokio::sync::Notify>,
    }

    impl Page {
        async fn attach(bridge: &Bridge) -> Self {
            let notices = Arc::new(AtomicUsize::new(0));
            let told: Arc<tokio::sync::Notify> = Arc::default();
            let (count, wake) = (notices.clone(), Arc::clone(&told));
            let channel = Channel::new(move |body| {
                let InvokeResponseBody::Json(json) = body else {
                    panic!("a raw notice")
                };
                assert!(json.starts_with("{\"feed\":"), "{json}");
                count.fetch_add(1, Ordering::SeqCst);
                wake.notify_one();
                Ok(())
            });
            let (feed, first) = bridge.attach(channel, None).await.unwrap();
            assert!(first.is_empty(), "no account: nothing to show yet");
            // The page's own first pull after the answer: nothing, so it waits to be told.
            assert!(bridge.pull(feed, None).await.unwrap().is_empty());
            Self { notices, told }
        }

        fn notices(&self) -> usize {
            self.notices.load(Ordering::SeqCst)
        }
    }

    /// The conversation ids the items carry (what the tests number events by).
    fn ids(items: &[AppEvent]) -> Vec<i64> {
        let mut out = Vec::new();
        for item in items {
            if let AppEvent::CoreBatch { events } = item {
                for e in events {
                    if let Event::Typing {
                        conversation_id, ..
                    } = e
                    {
                        out.push(*conversation_id);
                    }
                }
            }
        }
        out
    }

    fn typing(n: i64) -> Event {
        Event::Typing {
            conversation_id: n,
            user_id: 2,
            typing: true,
        }
    }

    async fn show(bridge: &Bridge, user: Id) {
        let mut inner = bridge.inner.lock().await;
        inner.shown = Some(user);
        inner.paused = false;
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_is_one_notice_and_a_page_pulling_at_its_own_pace_gets_every_event_once_in_order()
     {
        let bridge = Arc::new(Bridge::default());
        let page = Page::attach(&bridge).await;
        let feed = bridge.inner.lock().await.feed.as_ref().unwrap().id();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let pump = bridge.start(7, rx, Arc::new(|_, _| {})).await;
        show(&bridge, 7).await;

        // The page: on a notice it pulls, and pulls again a frame later until nothing is left.
        const N: i64 = 5_000;
        let (reader, told) = (bridge.clone(), page.told.clone());
        let reading = tokio::spawn(async move {
            let (mut got, mut pulls) = (Vec::new(), 0);
            while (got.len() as i64) < N {
                told.notified().await;
                loop {
                    let items = reader.pull(feed, None).await.unwrap();
                    pulls += 1;
                    if items.is_empty() {
                        break;
                    }
                    got.extend(ids(&items));
                    tokio::time::sleep(Duration::from_millis(16)).await;
                }
            }
            (got, pulls)
        });
        // A lone event first, then the flood: 5,000 events over about 100 ms.
        tx.send(typing(0)).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        for n in 1..N {
            tx.send(typing(n)).unwrap();
            if n % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let (got, pulls) = reading.await.unwrap();
        assert_eq!(
            got,
            (0..N).collect::<Vec<_>>(),
            "every event once, in order"
        );
        assert_eq!(
            page.notices(),
            2,
            "one notice for the lone event, one for the whole flood"
        );
        assert!(pulls < 20, "a pull per frame, not per event: {pulls}");
        drop(tx);
        pump.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_reloaded_page_pulls_only_from_its_own_feed() {
        let bridge = Arc::new(Bridge::default());
        let old = Page::attach(&bridge).await;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let pump = bridge.start(7, rx, Arc::new(|_, _| {})).await;
        show(&bridge, 7).await;
        tx.send(typing(1)).unwrap();
        old.told.notified().await;
        assert_eq!(ids(&bridge.pull(1, None).await.unwrap()), [1]);
        // Nothing left: the page waits for the next notice.
        assert!(bridge.pull(1, None).await.unwrap().is_empty());
        tx.send(typing(2)).unwrap();
        old.told.notified().await;
        // The page reloads before it pulls: the new page has its own feed (in the app a
        // snapshot opens it, which holds what the old page left).
        let new = Page::attach(&bridge).await;
        tx.send(typing(3)).unwrap();
        new.told.notified().await;
        assert!(
            bridge.pull(1, None).await.unwrap().is_empty(),
            "the old page's feed is gone"
        );
        assert_eq!(ids(&bridge.pull(2, None).await.unwrap()), [3]);
        assert_eq!((old.notices(), new.notices()), (2, 1));
        drop(tx);
        pump.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn another_nurses_events_never_reach_the_window_but_reach_the_observer() {
        let bridge = Arc::new(Bridge::default());
        let page = Page::attach(&bridge).await;
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
        show(&bridge, 7).await;
        other_tx.send(typing(80)).unwrap();
        shown_tx.send(typing(70)).unwrap();
        other_tx.send(typing(81)).unwrap();
        shown_tx.send(typing(71)).unwrap();
        drop((shown_tx, other_tx));
        shown.await.unwrap();
        other.await.unwrap();
        assert!(page.notices() >= 1);
        let to_window = ids(&bridge.pull(1, None).await.unwrap());
        assert_eq!(to_window, [70, 71], "only the shown account's events");
        let mut all = observed.lock().unwrap().clone();
        all.sort();
        assert_eq!(all, [(7, 70), (7, 71), (8, 80), (8, 81)]);
        // Its place numbers were still counted (a snapshot of it, when shown, counts them).
        assert_eq!(bridge.inner.lock().await.received.get(&8), Some(&2));
    }
}
