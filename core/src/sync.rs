//! Keeping the cache in step with the server over REST.
//!
//! - [`full`] (on every connect): the conversation list, whose `messages` are each
//!   conversation's newest page (so its `read` flags are merged: production says nothing when
//!   messages are read over REST); then, for a conversation the cache already knew, older pages
//!   until the newest message cached before, so the cached history has no hole.
//! - [`refresh`] (on `refreshMessages`): one conversation's newest page again.
//! - [`page`] (scrolling back): the cache first; the server only past the oldest cached
//!   message. Offsets count from the newest message, and the cached history is contiguous
//!   from the newest down, so the next server page starts at the number of cached messages.

use crate::announce;
use crate::error::ClientError;
use crate::events::Event;
use crate::shared::Shared;
use nursecare_wire::{Conversation, Id, Message};
use std::collections::HashMap;

/// The server's page size (and most it answers).
const PAGE: u32 = 50;

/// Syncs the conversation list and catches every known conversation up.
pub(crate) async fn full(shared: &Shared) -> Result<(), ClientError> {
    let _one_at_a_time = shared.sync_lock.lock().await;
    let list = shared.api.conversations().await?;
    let ids: Vec<Id> = list.iter().map(|c| c.id).collect();
    // What the cache knew before this sync: the anchor of each catch-up.
    let known: HashMap<Id, Option<Id>> = shared
        .cache
        .call(move |c| {
            ids.iter()
                .map(|id| Ok((*id, c.newest_message(*id)?)))
                .collect()
        })
        .await?;
    let mine_unread_before = my_unread(shared, None).await?;
    let put = list.clone();
    let fresh = shared
        .cache
        .call(move |c| c.put_conversations(&put))
        .await?;
    announce(shared, list.iter().flat_map(|c| c.messages.iter()), &fresh);
    for conversation in &list {
        catch_up(
            shared,
            conversation,
            known.get(&conversation.id).copied().flatten(),
        )
        .await?;
    }
    receipts(shared, None, mine_unread_before).await?;
    announce::list(shared).await;
    announce::unread(shared).await;
    Ok(())
}

/// Pages back from the newest page until the newest message the cache had before.
async fn catch_up(
    shared: &Shared,
    conversation: &Conversation,
    anchor: Option<Id>,
) -> Result<(), ClientError> {
    let id = conversation.id;
    let first = &conversation.messages;
    if (first.len() as u32) < PAGE {
        // The list holds the whole history.
        shared
            .cache
            .call(move |c| c.set_history_complete(id))
            .await?;
        return Ok(());
    }
    let Some(anchor) = anchor else {
        // Nothing cached before: older pages come on demand.
        return Ok(());
    };
    if first.iter().any(|m| m.id == anchor) {
        return Ok(());
    }
    let mut offset = first.len() as u64;
    loop {
        let page = shared.api.messages(id, PAGE, offset).await?;
        let put = page.clone();
        let fresh = shared.cache.call(move |c| c.put_messages(&put)).await?;
        announce(shared, page.iter(), &fresh);
        if page.iter().any(|m| m.id == anchor) {
            return Ok(());
        }
        if (page.len() as u32) < PAGE {
            shared
                .cache
                .call(move |c| c.set_history_complete(id))
                .await?;
            return Ok(());
        }
        offset += page.len() as u64;
    }
}

/// Fetches a conversation's newest page again and merges it.
pub(crate) async fn refresh(shared: &Shared, conversation: Id) -> Result<(), ClientError> {
    let before = my_unread(shared, Some(conversation)).await?;
    let page = shared.api.messages(conversation, PAGE, 0).await?;
    let put = page.clone();
    let fresh = shared.cache.call(move |c| c.put_messages(&put)).await?;
    announce(shared, page.iter(), &fresh);
    receipts(shared, Some(conversation), before).await?;
    if !announce::row(shared, conversation).await {
        // A conversation this cache has not seen: fetch the list.
        return Box::pin(full(shared)).await;
    }
    announce::unread(shared).await;
    Ok(())
}

/// A page of history, newest first, older than `before`.
pub(crate) async fn page(
    shared: &Shared,
    conversation: Id,
    before: Option<Id>,
    limit: u32,
) -> Result<Vec<Message>, ClientError> {
    let cached = shared
        .cache
        .call(move |c| c.messages(conversation, before, limit))
        .await?;
    if cached.len() as u32 >= limit
        || shared
            .cache
            .call(move |c| c.history_complete(conversation))
            .await?
    {
        return Ok(cached);
    }
    let mut missing = limit - cached.len() as u32;
    while missing > 0 {
        let offset = shared
            .cache
            .call(move |c| c.message_count(conversation))
            .await?;
        let got = match shared.api.messages(conversation, PAGE, offset).await {
            Ok(p) => p,
            // Offline: what the cache has is the answer.
            Err(e) if e.is_network() => break,
            Err(e) => return Err(e.into()),
        };
        let put = got.clone();
        let fresh = shared.cache.call(move |c| c.put_messages(&put)).await?;
        if (got.len() as u32) < PAGE {
            shared
                .cache
                .call(move |c| c.set_history_complete(conversation))
                .await?;
            break;
        }
        if fresh.is_empty() {
            // Only overlap: many new messages shifted the offsets. The next connect's catch-up
            // closes that gap; answer what the cache has rather than loop.
            break;
        }
        missing = missing.saturating_sub(fresh.len() as u32);
    }
    Ok(shared
        .cache
        .call(move |c| c.messages(conversation, before, limit))
        .await?)
}

/// Tells the UI about messages a sync found.
fn announce<'a>(shared: &Shared, messages: impl Iterator<Item = &'a Message>, fresh: &[Id]) {
    if fresh.is_empty() {
        return;
    }
    for m in messages {
        if fresh.contains(&m.id) {
            shared.events.send(Event::MessageAdded {
                message: m.clone(),
                live: false,
            });
        }
    }
}

/// The user's own unread-by-the-other-party messages, per conversation.
async fn my_unread(
    shared: &Shared,
    conversation: Option<Id>,
) -> Result<HashMap<Id, u32>, ClientError> {
    let me = shared.me;
    Ok(shared
        .cache
        .call(move |c| c.unread_sent(me, conversation))
        .await?
        .into_iter()
        .collect())
}

/// Read receipts learnt from a re-fetch: where fewer of the user's messages are unread than
/// before, the other party read them.
async fn receipts(
    shared: &Shared,
    conversation: Option<Id>,
    before: HashMap<Id, u32>,
) -> Result<(), ClientError> {
    let after = my_unread(shared, conversation).await?;
    for (conv, n) in before {
        if after.get(&conv).copied().unwrap_or(0) < n {
            let me = shared.me;
            let other = shared
                .cache
                .call(move |c| c.conversation_summary(conv, me))
                .await?
                .and_then(|s| s.other)
                .map(|u| u.id);
            if let Some(read_by) = other {
                shared.events.send(Event::Read {
                    conversation_id: conv,
                    read_by,
                    at: nursecare_wire::Timestamp::now(),
                });
            }
        }
    }
    Ok(())
}
