//! Urgent messages to the user not read yet (our server, Part B): the app alerts again every
//! two minutes until each is read, at most ten times. One task owns the list; it hears the
//! core's own events (an urgent message arriving, a chat's unread count falling to zero) and
//! says each alert as [`Event::UrgentAgain`]. How an alert shows (through mute and the lock,
//! not through the system's Do Not Disturb) is the shell's.

use crate::events::{Event, EventSink};
use nursecare_wire::{Id, Message};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Between two alerts of one message.
pub const EVERY: Duration = Duration::from_secs(120);
/// Alerts after the first notification, at most.
pub const AT_MOST: u32 = 10;

/// Whether `event` is one the owner needs to hear (the sink passes only those).
pub(crate) fn concerns(event: &Event) -> bool {
    match event {
        Event::MessageAdded { message, .. } => message.urgent == Some(true) && !message.read,
        Event::MessagesFound { messages, .. } => {
            messages.iter().any(|m| m.urgent == Some(true) && !m.read)
        }
        Event::Unread { .. } => true,
        _ => false,
    }
}

struct Waiting {
    conversation: Id,
    next: Instant,
    told: u32,
}

/// Starts the owner for user `me`: it hears events on the receiver and alerts on `sink`,
/// `every` apart ([`EVERY`] but in tests).
pub(crate) fn start(me: Id, sink: EventSink, every: Duration) -> mpsc::UnboundedSender<Event> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(own(me, sink, rx, every));
    tx
}

async fn own(me: Id, sink: EventSink, mut heard: mpsc::UnboundedReceiver<Event>, every: Duration) {
    let mut waiting: BTreeMap<Id, Waiting> = BTreeMap::new();
    loop {
        let next = waiting.values().map(|w| w.next).min();
        let event = match next {
            Some(at) => tokio::select! {
                e = heard.recv() => e,
                () = tokio::time::sleep_until(at) => {
                    let now = Instant::now();
                    for (id, w) in waiting.iter_mut().filter(|(_, w)| w.next <= now) {
                        w.told += 1;
                        w.next = now + every;
                        sink.send(Event::UrgentAgain {
                            conversation_id: w.conversation,
                            message_id: *id,
                            times: w.told,
                        });
                    }
                    waiting.retain(|_, w| w.told < AT_MOST);
                    continue;
                }
            },
            None => heard.recv().await,
        };
        let Some(event) = event else { return };
        match event {
            Event::MessageAdded { message, .. } => wait_for(&mut waiting, me, &message, every),
            Event::MessagesFound { messages, .. } => {
                for m in &messages {
                    wait_for(&mut waiting, me, m, every);
                }
            }
            // A chat read to the end (here or on another device) has nothing urgent left.
            Event::Unread { conversations, .. } => {
                waiting.retain(|_, w| conversations.get(&w.conversation).is_some_and(|n| *n > 0));
            }
            _ => {}
        }
    }
}

fn wait_for(waiting: &mut BTreeMap<Id, Waiting>, me: Id, m: &Message, every: Duration) {
    if m.urgent == Some(true) && !m.read && m.sender_id != me {
        waiting.entry(m.id).or_insert(Waiting {
            conversation: m.conversation_id,
            next: Instant::now() + every,
            told: 0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn urgent(id: Id, conversation: Id, from: Id) -> Message {
        serde_json::from_value(serde_json::json!({
            "id": id, "conversationId": conversation, "senderId": from, "content": "now",
            "type": "TEXT", "read": false, "createdAt": "2026-12-07T10:00:00.000Z",
            "sender": {"id": from, "name": "Chloe", "role": "PATIENT"}, "urgent": true,
        }))
        .unwrap()
    }

    fn unread(conversation: Id, n: u32) -> Event {
        Event::Unread {
            conversations: BTreeMap::from([(conversation, n)]),
            total: n,
        }
    }

    /// What the sink said within `d` of paused time.
    async fn alerts_within(stream: &mut crate::EventStream, d: Duration) -> Vec<(Id, u32)> {
        tokio::time::sleep(d).await;
        let mut out = Vec::new();
        while let Ok(e) = stream.try_recv() {
            if let Event::UrgentAgain {
                message_id, times, ..
            } = e
            {
                out.push((message_id, times));
            }
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn it_alerts_every_two_minutes_until_read() {
        let (sink, mut stream) = EventSink::new();
        let owner = start(1, sink, EVERY);
        owner
            .send(Event::MessageAdded {
                message: urgent(7, 3, 2),
                live: true,
            })
            .unwrap();
        // Not urgent, or one's own: nothing.
        let mut plain = urgent(8, 3, 2);
        plain.urgent = None;
        owner
            .send(Event::MessageAdded {
                message: plain,
                live: true,
            })
            .unwrap();
        owner
            .send(Event::MessageAdded {
                message: urgent(9, 3, 1),
                live: true,
            })
            .unwrap();
        assert_eq!(
            alerts_within(&mut stream, EVERY - Duration::from_secs(1)).await,
            vec![]
        );
        assert_eq!(
            alerts_within(&mut stream, Duration::from_secs(2)).await,
            vec![(7, 1)]
        );
        assert_eq!(alerts_within(&mut stream, EVERY).await, vec![(7, 2)]);
        // Counts that still hold this chat change nothing (the list holds every chat with
        // unread messages); this chat read to the end stops it.
        owner.send(unread(3, 2)).unwrap();
        assert_eq!(alerts_within(&mut stream, EVERY).await, vec![(7, 3)]);
        owner.send(unread(4, 1)).unwrap();
        assert_eq!(alerts_within(&mut stream, EVERY * 5).await, vec![]);
    }

    #[tokio::test(start_paused = true)]
    async fn it_stops_after_ten_alerts() {
        let (sink, mut stream) = EventSink::new();
        let owner = start(1, sink, EVERY);
        owner
            .send(Event::MessagesFound {
                conversation_id: 3,
                messages: vec![urgent(7, 3, 2)],
            })
            .unwrap();
        let told = alerts_within(&mut stream, EVERY * 30).await;
        assert_eq!(told, (1..=AT_MOST).map(|n| (7, n)).collect::<Vec<_>>());
    }
}
