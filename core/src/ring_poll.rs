//! Finding incoming calls where the server does not push them to every device (no userRing:
//! production rings only sockets in the conversation's room, that is, only where the chat is
//! open).
//!
//! Without userRing, [`poll`] asks `/ongoing` for every conversation, every
//! `ClientConfig::ring_poll` (backing off to a minute while the server fails), and hands the
//! call owner a call started by someone else less than `ring_for` ago (it rings once). Every
//! quarter of `ring_for` it takes the conversations from the server's list rather than the
//! cache (a conversation started after the last sync), merging the read marks the list
//! carries.

use crate::call_owner::{CallOwner, Ring};
use crate::error::ClientError;
use crate::shared::Shared;
use crate::socket::LinkState;
use nursecare_wire::{Id, Timestamp};
use std::sync::Arc;
use std::time::Duration;

/// Polls `/ongoing` while the server lacks userRing. A call in a conversation started after
/// the last sync (someone new wrote and called at once) rings at most a quarter of its ring
/// late, and the new conversation is synced.
pub(crate) async fn poll(shared: Arc<Shared>, owner: CallOwner) {
    let base = shared.config.ring_poll;
    let list_every = (shared.config.ring_for.as_millis() / 4 / base.as_millis().max(1)).max(1);
    let mut polls: u128 = 0;
    let mut delay = base;
    loop {
        tokio::time::sleep(delay).await;
        let Some(features) = shared.features() else {
            if matches!(
                &*shared.socket.state().borrow(),
                LinkState::SessionExpired | LinkState::Stopped
            ) {
                return;
            }
            continue;
        };
        if features.user_ring {
            delay = base;
            continue;
        }
        let ask_list = polls.is_multiple_of(list_every);
        polls += 1;
        delay = match poll_once(&shared, &owner, ask_list).await {
            Ok(()) => base,
            Err(e) => {
                tracing::debug!(error = %e, "call poll failed");
                (delay * 2).min(Duration::from_secs(60))
            }
        };
    }
}

async fn poll_once(
    shared: &Arc<Shared>,
    owner: &CallOwner,
    ask_list: bool,
) -> Result<(), ClientError> {
    let cached = shared.cache.call(|c| c.conversation_ids()).await?;
    let listed = if ask_list {
        match shared.api.conversations().await {
            Ok(list) => Some(list),
            // The list is heavy (a page of messages each): its failure costs this round
            // nothing of the known conversations.
            Err(e) => {
                tracing::debug!(error = %e, "conversation list for calls failed");
                None
            }
        }
    } else {
        None
    };
    let conversations: Vec<Id> = match listed {
        Some(list) => {
            let ids: Vec<Id> = list.iter().map(|c| c.id).collect();
            // Cached before a call in it rings (so the ring can name the caller), with the
            // read marks the list carries (production tells no one of a read over REST).
            crate::sync::merge_list(shared, list).await?;
            if ids.iter().any(|id| !cached.contains(id)) {
                // A new conversation: shown, and its messages caught up by a sync of its own.
                crate::announce::list(shared).await;
                let task = shared.clone();
                shared.spawn(async move {
                    if let Err(e) = crate::sync::full(&task).await {
                        tracing::debug!(error = %e, "sync for a new conversation failed");
                    }
                });
            }
            ids
        }
        None => cached,
    };
    let now = Timestamp::now().millis();
    for conversation in conversations {
        let Some(call) = shared.api.ongoing_call(conversation).await? else {
            continue;
        };
        let fresh = now - call.started_at.millis() < shared.config.ring_for.as_millis() as i64;
        if call.started_by == shared.me || !fresh {
            continue;
        }
        owner.ring(Ring {
            call: call.id,
            conversation,
            room: call.room_name,
            caller: call.started_by,
        });
    }
    Ok(())
}
