//! The window's event feed: live data waits here and the page pulls it as bytes.
//!
//! Why: WebKitGTK keeps memory for every script the shell evaluates in the page, and Tauri
//! delivers each channel message as one (with its JSON inline when under 8 KB); a flood of
//! 10,000 live messages grew the web process by over 100 MB that way. Answers to a command
//! travel as the body of an `ipc://` response instead. So the channel carries only a tiny
//! [`FeedNotice`], and only when the page has said it has nothing left to pull; a page busy
//! with a flood pulls again on its own and gets no notice at all.

use crate::ui_types::{AppEvent, FeedNotice};
use nursecare_core::events::Event;
use tauri::ipc::Channel;

/// Core events kept for a page that does not pull; past this they are dropped and the page's
/// next pull starts from a fresh snapshot instead (it holds what they carried).
pub const FEED_AT_MOST: usize = 10_000;

/// One attached page's feed.
pub struct Feed {
    notices: Channel<FeedNotice>,
    id: u64,
    items: Vec<AppEvent>,
    /// Core events in `items`.
    events: usize,
    /// The page's last pull found nothing: it waits for a notice before it pulls again.
    waiting: bool,
    /// Events were dropped: the next pull must start with a snapshot.
    overflowed: bool,
}

/// What a pull takes.
pub enum Pulled {
    /// The items, in order (none: the page waits for a notice).
    Items(Vec<AppEvent>),
    /// Too much waited and was dropped: the page needs a snapshot first.
    Overflowed,
}

impl Feed {
    /// A new page's feed. The page takes what is in it with `attach`'s answer and then pulls
    /// once by itself, so it is told nothing until a pull has found it empty.
    pub fn new(notices: Channel<FeedNotice>, id: u64) -> Self {
        Self {
            notices,
            id,
            items: Vec::new(),
            events: 0,
            waiting: false,
            overflowed: false,
        }
    }

    /// Which feed this is (a page pulls with the id its notice named).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Queues an item (core events join the batch before them) and tells a waiting page.
    pub fn push(&mut self, item: AppEvent) {
        if self.overflowed {
            // Only the snapshot the next pull brings counts; keep the shell's own messages.
            if matches!(item, AppEvent::Core { .. } | AppEvent::CoreBatch { .. }) {
                return;
            }
        }
        let added = match &item {
            AppEvent::Core { .. } => 1,
            AppEvent::CoreBatch { events } => events.len(),
            _ => 0,
        };
        match (self.items.last_mut(), item) {
            (Some(AppEvent::CoreBatch { events }), AppEvent::Core { event }) => events.push(event),
            (Some(AppEvent::CoreBatch { events }), AppEvent::CoreBatch { events: more }) => {
                events.extend(more)
            }
            (_, AppEvent::Core { event }) => self.items.push(AppEvent::CoreBatch {
                events: vec![event],
            }),
            (_, item) => self.items.push(item),
        }
        self.events += added;
        if self.events > FEED_AT_MOST {
            self.items.retain(|i| !is_state(i));
            self.events = 0;
            self.overflowed = true;
        }
        self.nudge();
    }

    /// Core events for the page (a run of them is one batch).
    pub fn push_events(&mut self, events: Vec<Event>) {
        self.push(AppEvent::CoreBatch { events });
    }

    /// What waits, all of it; nothing means the page now waits for a notice.
    pub fn pull(&mut self) -> Pulled {
        if self.overflowed {
            return Pulled::Overflowed;
        }
        let items = std::mem::take(&mut self.items);
        self.events = 0;
        self.waiting = items.is_empty();
        Pulled::Items(items)
    }

    /// The snapshot that follows an overflow is in: events count again.
    pub fn resynced(&mut self) {
        self.overflowed = false;
    }

    /// A notice to a page that waits for one (at most one until it pulls).
    fn nudge(&mut self) {
        if !self.waiting {
            return;
        }
        match self.notices.send(FeedNotice { feed: self.id }) {
            Ok(()) => self.waiting = false,
            Err(e) => tracing::debug!(error = %e, "no window to tell"),
        }
    }
}

/// State the snapshot replaces (dropped when the feed overflows), not the shell's own messages.
fn is_state(item: &AppEvent) -> bool {
    matches!(
        item,
        AppEvent::Snapshot { .. } | AppEvent::Core { .. } | AppEvent::CoreBatch { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tauri::ipc::InvokeResponseBody;

    fn counting() -> (Channel<FeedNotice>, Arc<Mutex<Vec<u64>>>) {
        let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
        let log = seen.clone();
        let channel = Channel::new(move |body| {
            let InvokeResponseBody::Json(json) = body else {
                panic!("a raw notice")
            };
            assert!(json.len() < 32, "a notice stays tiny: {json}");
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            log.lock().unwrap().push(v["feed"].as_u64().unwrap());
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

    fn ids(items: &[AppEvent]) -> Vec<i64> {
        items
            .iter()
            .flat_map(|i| match i {
                AppEvent::CoreBatch { events } => events
                    .iter()
                    .map(|e| match e {
                        Event::Typing {
                            conversation_id, ..
                        } => *conversation_id,
                        _ => -1,
                    })
                    .collect(),
                _ => vec![-1],
            })
            .collect()
    }

    fn items(pulled: Pulled) -> Vec<AppEvent> {
        match pulled {
            Pulled::Items(items) => items,
            Pulled::Overflowed => panic!("overflowed"),
        }
    }

    #[test]
    fn one_notice_until_the_page_pulls_and_a_busy_page_gets_none() {
        let (channel, notices) = counting();
        let mut feed = Feed::new(channel, 3);
        // The page's first pull (after attach) finds nothing: from now on it is told.
        assert!(items(feed.pull()).is_empty());
        for n in 0..1000 {
            feed.push(AppEvent::Core { event: typing(n) });
        }
        assert_eq!(*notices.lock().unwrap(), [3], "one notice for a thousand");
        let first = items(feed.pull());
        assert_eq!(first.len(), 1, "a run of core events is one batch");
        assert_eq!(ids(&first), (0..1000).collect::<Vec<_>>());
        // The page pulls again by itself while busy: what came meanwhile, no notice.
        feed.push(AppEvent::Core {
            event: typing(1000),
        });
        assert_eq!(notices.lock().unwrap().len(), 1);
        assert_eq!(ids(&items(feed.pull())), [1000]);
        // Nothing left: the page waits, and the next event tells it.
        assert!(items(feed.pull()).is_empty());
        feed.push(AppEvent::Core {
            event: typing(1001),
        });
        assert_eq!(*notices.lock().unwrap(), [3, 3]);
        assert_eq!(ids(&items(feed.pull())), [1001]);
    }

    #[test]
    fn the_shells_messages_keep_their_place_between_events() {
        let (channel, _) = counting();
        let mut feed = Feed::new(channel, 1);
        feed.push(AppEvent::Core { event: typing(1) });
        feed.push(AppEvent::OpenConversation { conversation_id: 9 });
        feed.push_events(vec![typing(2), typing(3)]);
        let pulled = items(feed.pull());
        assert_eq!(pulled.len(), 3);
        assert!(matches!(
            pulled[1],
            AppEvent::OpenConversation { conversation_id: 9 }
        ));
        assert_eq!(ids(&pulled), [1, -1, 2, 3]);
    }

    #[test]
    fn a_page_that_does_not_pull_gets_a_snapshot_instead_of_unbounded_events() {
        let (channel, _) = counting();
        let mut feed = Feed::new(channel, 1);
        feed.push(AppEvent::OpenConversation { conversation_id: 4 });
        for n in 0..=FEED_AT_MOST as i64 {
            feed.push(AppEvent::Core { event: typing(n) });
        }
        feed.push(AppEvent::Core { event: typing(-5) });
        assert!(
            feed.items.len() <= 1,
            "the events went: {}",
            feed.items.len()
        );
        assert!(matches!(feed.pull(), Pulled::Overflowed));
        assert!(
            matches!(feed.pull(), Pulled::Overflowed),
            "until the snapshot is in"
        );
        feed.resynced();
        // What was kept (the shell's own message) goes before the snapshot the bridge adds.
        let kept = items(feed.pull());
        assert!(matches!(
            kept[..],
            [AppEvent::OpenConversation { conversation_id: 4 }]
        ));
    }
}
