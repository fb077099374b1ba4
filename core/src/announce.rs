//! Announcing what the cache now holds: list rows, unread counts and the link's state, read
//! back from the cache and sent to the UI as [`Event`]s. (Events about single messages are
//! sent where the message is stored.)

use crate::events::{Connection, ConnectionNow, Event};
use crate::shared::Shared;
use crate::socket::LinkState;
use nursecare_wire::Id;

/// The unread counts, per conversation and in total.
pub(crate) async fn unread(shared: &Shared) {
    let me = shared.me;
    match shared.cache.call(move |c| c.unread_counts(me)).await {
        Ok(counts) => {
            let total = counts.iter().map(|(_, n)| n).sum();
            shared.events.send(Event::Unread {
                conversations: counts.into_iter().collect(),
                total,
            });
        }
        Err(e) => tracing::warn!(error = %e, "unread counts"),
    }
}

/// One conversation's row; false when the cache does not know the conversation.
pub(crate) async fn row(shared: &Shared, conversation: Id) -> bool {
    let me = shared.me;
    match shared
        .cache
        .call(move |c| c.conversation_summary(conversation, me))
        .await
    {
        Ok(Some(summary)) => {
            shared.events.send(Event::ConversationChanged { summary });
            true
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(error = %e, "conversation summary");
            false
        }
    }
}

/// The whole conversation list.
pub(crate) async fn list(shared: &Shared) {
    let me = shared.me;
    match shared
        .cache
        .call(move |c| c.conversation_summaries(me))
        .await
    {
        Ok(conversations) => shared
            .events
            .send(Event::ConversationList { conversations }),
        Err(e) => tracing::warn!(error = %e, "conversation list"),
    }
}

/// The link's state, with how many messages wait to go out.
pub(crate) async fn connection(shared: &Shared, state: &LinkState) {
    let ConnectionNow {
        state,
        outbox,
        retry_in_ms,
        urgent,
    } = connection_now(shared, state).await;
    shared.events.send(Event::Connection {
        state,
        outbox,
        retry_in_ms,
        urgent,
    });
}

/// The link's state as the user sees it, read now.
pub(crate) async fn connection_now(shared: &Shared, state: &LinkState) -> ConnectionNow {
    let outbox = shared
        .cache
        .call(|c| c.outbox_pending_count())
        .await
        .unwrap_or(0);
    let urgent = matches!(state, LinkState::Online { features, .. } if features.urgent);
    let (state, retry_in_ms) = match state {
        LinkState::Online { .. } => (Connection::Online, None),
        LinkState::Connecting => (Connection::Connecting, None),
        LinkState::Offline { retry_in } => (Connection::Offline, Some(retry_in.as_millis() as u64)),
        LinkState::SessionExpired => (Connection::SignedOut, None),
        LinkState::Stopped => (Connection::Offline, None),
    };
    ConnectionNow {
        state,
        outbox,
        retry_in_ms,
        urgent,
    }
}
