//! Read marks from this side: marking a conversation read (REST), and keeping the open chat
//! read while the window has the user's attention (focused), as messages arrive in it.
//!
//! Joining a conversation marks what is there read, but messages that arrive afterwards stay
//! unread on the server (in both modes) until someone says otherwise: the open chat of a
//! focused window is read as its messages arrive, at most once per engine tick.

use crate::announce;
use crate::error::ClientError;
use crate::shared::Shared;
use nursecare_wire::Id;
use std::sync::Arc;

/// Marks a conversation read on the server and clears its count here.
pub(crate) async fn mark_read(shared: &Shared, conversation: Id) -> Result<u64, ClientError> {
    // What the request covers: the messages here when it leaves. One that arrives while it is
    // out stays unread here until the next request says so (the server may not count it).
    let newest = shared
        .cache
        .call(move |c| c.newest_message(conversation))
        .await?;
    let n = shared.api.mark_read(conversation).await?;
    let me = shared.me;
    if let Some(up_to) = newest {
        shared
            .cache
            .call(move |c| c.mark_read_up_to(conversation, me, up_to))
            .await?;
    }
    announce::unread(shared).await;
    announce::row(shared, conversation).await;
    Ok(n)
}

/// On the engine's tick: when something asked for it (a message arrived in the open chat, the
/// window got focus, another chat was opened) and the window is focused, marks the open chat
/// read if it has unread messages.
pub(crate) async fn keep_open_read(shared: &Arc<Shared>) {
    if !shared.take_read_request() || !shared.focused() {
        return;
    }
    let Some(conversation) = shared.open_conversation() else {
        return;
    };
    let me = shared.me;
    let unread = shared
        .cache
        .call(move |c| c.unread_counts(me))
        .await
        .map(|counts| counts.iter().any(|(c, n)| *c == conversation && *n > 0))
        .unwrap_or(false);
    if !unread {
        return;
    }
    let task = shared.clone();
    shared.spawn(async move {
        if let Err(e) = mark_read(&task, conversation).await {
            tracing::debug!(error = %e, "open chat not marked read");
        }
    });
}
