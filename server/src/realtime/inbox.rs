//! In-order handling of each socket's events.
//!
//! socketioxide spawns a task per incoming event, so two `sendMessage`s from one socket could be
//! stored in either order. Clients rely on order (an outbox flushes oldest first), so every
//! event goes through one queue per socket instead: the [`Inbound`] extractor runs
//! synchronously in the socket's receive loop, in arrival order, and pushes the event onto the
//! socket's queue; one task per socket drains it.
//!
//! The queue is bounded: a client that sends faster than the server stores is disconnected
//! rather than allowed to grow the server's memory (a well-behaved client reconnects and resends
//! what was not acknowledged).

use serde_json::Value;
use socketioxide::adapter::LocalAdapter;
use socketioxide::extract::{Event, TryData};
use socketioxide::handler::FromMessageParts;
use socketioxide::socket::Socket;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::mpsc;

/// One received event: its name and payload (`None` when it had none or it did not parse).
#[derive(Debug)]
pub struct Received {
    /// Event name.
    pub event: String,
    /// First argument, if any.
    pub data: Option<Value>,
}

/// Events a socket may have waiting before it is cut off.
pub const CAPACITY: usize = 1024;

/// The sending half of a socket's queue, kept in the socket's extensions.
#[derive(Clone)]
pub struct InboxSender(pub mpsc::Sender<Received>);

/// Extractor whose only job is the side effect of queueing the event in arrival order.
pub struct Inbound;

impl FromMessageParts<LocalAdapter> for Inbound {
    type Error = Infallible;

    fn from_message_parts(
        s: &Arc<Socket<LocalAdapter>>,
        v: &mut socketioxide::handler::Value,
        ack: &Option<i64>,
    ) -> Result<Self, Infallible> {
        let event = Event::from_message_parts(s, v, ack).map(|e| e.0);
        let TryData(data) = match TryData::<Value>::from_message_parts(s, v, ack) {
            Ok(d) => d,
            Err(never) => match never {},
        };
        match (event, s.extensions.get::<InboxSender>()) {
            (Ok(event), Some(tx)) => {
                let received = Received {
                    event,
                    data: data.ok(),
                };
                match tx.0.try_send(received) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        tracing::warn!(socket = %s.id, "event queue full; disconnecting the socket");
                        let _ = s.clone().disconnect();
                    }
                    // Closed: the socket is going away; dropping the event is right.
                    Err(mpsc::error::TrySendError::Closed(_)) => {}
                }
            }
            (Err(e), _) => tracing::debug!(error = %e, "unreadable event name; dropped"),
            (_, None) => {}
        }
        Ok(Inbound)
    }
}
