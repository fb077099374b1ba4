//! Keeping the cache in step with the server over REST.
//!
//! The cached history of a conversation has no hole below its *mark* (`contiguous_to`): from
//! the oldest cached message up to the mark, every server message is cached. Messages above
//! the mark (live ones, a newest page) may have gaps between them and the mark. Only a
//! finished catch-up — paging back from the server's newest message until the mark — moves the
//! mark up, so a catch-up cut short (the app quits, the network drops, a page fails) leaves it
//! where it was and the next one pages down to it again.
//!
//! - [`full`] (on every connect): the conversation list, whose `messages` are each
//!   conversation's newest page (so its `read` flags are merged: production says nothing when
//!   messages are read over REST); then each conversation's catch-up down to its mark.
//! - [`refresh`] (on `refreshMessages`, a call's step, a chat opened on production): one
//!   conversation's newest page again.
//! - [`merge_list`]: a conversation list fetched elsewhere (the call poll), with its read marks.
//! - [`page`] (scrolling back): first closes any gap above the mark (when reachable), then the
//!   cache; the server only past the oldest cached message. Offsets count from the newest
//!   message; with no gap, the next server page starts at the number of cached messages.

use crate::announce;
use crate::error::ClientError;
use crate::events::Event;
use crate::shared::Shared;
use nursecare_wire::{Id, Message};
use std::collections::HashMap;
use std::sync::Arc;

/// The server's page size (and most it answers).
const PAGE: u32 = 50;

/// Syncs the conversation list and catches every known conversation up.
pub(crate) async fn full(shared: &Shared) -> Result<(), ClientError> {
    let _one_at_a_time = shared.sync_lock.lock().await;
    // Where each catch-up stops: the marks, read before the list is asked for (a message
    // stored after that is newer than the list's pages, never a stopping point).
    let marks: HashMap<Id, Mark> = shared
        .cache
        .call(move |c| {
            c.conversation_ids()?
                .into_iter()
                .map(|id| Ok((id, mark_of(c, id)?)))
                .collect()
        })
        .await?;
    let list = shared.api.conversations().await?;
    let mine_unread_before = my_unread(shared, None).await?;
    put_list(shared, &list).await?;
    for conversation in list {
        let mark = marks
            .get(&conversation.id)
            .copied()
            .unwrap_or(Mark::Nothing);
        catch_up(shared, conversation.id, Some(conversation.messages), mark).await?;
    }
    receipts(shared, None, mine_unread_before).await?;
    announce::list(shared).await;
    announce::unread(shared).await;
    Ok(())
}

/// Stores a conversation list fetched outside a sync (the call poll's, on a server without
/// userRing), with the newest page each carries: messages new to the cache are announced, and
/// so are the read marks it brings (production tells nobody of a read made over REST).
pub(crate) async fn merge_list(
    shared: &Shared,
    list: Vec<nursecare_wire::Conversation>,
) -> Result<(), ClientError> {
    let before = my_unread(shared, None).await?;
    let fresh = put_list(shared, &list).await?;
    for m in list
        .iter()
        .flat_map(|c| c.messages.iter())
        .filter(|m| fresh.contains(&m.id))
    {
        shared.touch(m.conversation_id, m.sender_id != shared.me);
    }
    receipts(shared, None, before).await?;
    Ok(())
}

/// Stores a conversation list with the newest page each carries and announces the messages
/// new to the cache; answers their ids.
async fn put_list(
    shared: &Shared,
    list: &[nursecare_wire::Conversation],
) -> Result<Vec<Id>, ClientError> {
    let put = list.to_vec();
    let fresh = shared
        .cache
        .call(move |c| c.put_conversations(&put))
        .await?;
    tell_found(shared, list.iter().flat_map(|c| c.messages.iter()), &fresh);
    Ok(fresh)
}

/// Where a catch-up stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// Nothing cached: the newest page alone is contiguous; older pages come on demand.
    Nothing,
    /// At the message with this (time, id) place, or the first page reaching below it.
    At(i64, Id),
    /// At the start of the conversation (an empty one was cached whole).
    Start,
}

/// A conversation's mark. A cache with messages but no mark (made before marks existed, or
/// holding live messages that came before its first sync) trusts only its oldest message.
fn mark_of(c: &crate::cache::Cache, conversation: Id) -> Result<Mark, crate::cache::CacheError> {
    let id = match c.contiguous_to(conversation)? {
        Some(0) => return Ok(Mark::Start),
        Some(id) => Some(id),
        None => c.oldest_message(conversation)?,
    };
    Ok(
        match id.map(|id| c.message_key(id)).transpose()?.flatten() {
            Some((at, id)) => Mark::At(at, id),
            // A mark whose message is gone from the cache: trust nothing cached.
            None if id.is_some() => Mark::Start,
            None => Mark::Nothing,
        },
    )
}

/// Pages back from the server's newest message (`first`, when already fetched and stored)
/// until the page reaching the mark, storing every page; then moves the mark to the newest
/// message.
async fn catch_up(
    shared: &Shared,
    id: Id,
    first: Option<Vec<Message>>,
    mark: Mark,
) -> Result<(), ClientError> {
    let mut page = match first {
        Some(p) => p,
        None => fetch(shared, id, 0).await?,
    };
    // The newest message now: where the mark goes once the catch-up is done.
    let Some(top) = newest(&page) else {
        // An empty conversation: complete, and no gap above its start (no message has id 0,
        // so the next catch-up pages down to the start).
        shared
            .cache
            .call(move |c| {
                c.set_history_complete(id)?;
                c.set_contiguous_to(id, 0)
            })
            .await?;
        return Ok(());
    };
    let mut offset = page.len() as u64;
    loop {
        if (page.len() as u32) < PAGE {
            // The server's whole history is cached now.
            shared
                .cache
                .call(move |c| c.set_history_complete(id))
                .await?;
            break;
        }
        let reached = match mark {
            Mark::Nothing => true,
            Mark::Start => false,
            // By place, not by id: a mark the server no longer returns still stops it.
            Mark::At(at, mark_id) => page
                .iter()
                .any(|m| (m.created_at.millis(), m.id) <= (at, mark_id)),
        };
        if reached {
            break;
        }
        page = fetch(shared, id, offset).await?;
        offset += page.len() as u64;
    }
    shared
        .cache
        .call(move |c| c.set_contiguous_to(id, top))
        .await?;
    Ok(())
}

/// One server page, stored and announced.
async fn fetch(
    shared: &Shared,
    conversation: Id,
    offset: u64,
) -> Result<Vec<Message>, ClientError> {
    let page = shared.api.messages(conversation, PAGE, offset).await?;
    merge(shared, &page).await?;
    Ok(page)
}

/// Stores messages read from the server and announces those new to the cache (their list
/// rows and counts follow on the engine's next tick). Every page read from the server goes
/// through here, so nothing is stored unannounced.
pub(crate) async fn merge(shared: &Shared, page: &[Message]) -> Result<(), ClientError> {
    let put = page.to_vec();
    let fresh = shared.cache.call(move |c| c.put_messages(&put)).await?;
    tell_found(shared, page.iter(), &fresh);
    for m in page.iter().filter(|m| fresh.contains(&m.id)) {
        let from_other = m.sender_id != shared.me;
        shared.touch(m.conversation_id, from_other);
        if from_other && shared.open_conversation() == Some(m.conversation_id) {
            // Found by a sync in the open chat: read if the window is focused (`reads`).
            shared.request_read();
        }
    }
    Ok(())
}

/// The newest message of a page (pages are newest first, but do not rely on it).
fn newest(page: &[Message]) -> Option<Id> {
    page.iter()
        .max_by_key(|m| (m.created_at.millis(), m.id))
        .map(|m| m.id)
}

/// Fetches a conversation's newest page again and merges it.
pub(crate) async fn refresh(shared: &Shared, conversation: Id) -> Result<(), ClientError> {
    let before = my_unread(shared, Some(conversation)).await?;
    let page = shared.api.messages(conversation, PAGE, 0).await?;
    merge(shared, &page).await?;
    receipts(shared, Some(conversation), before).await?;
    if !announce::row(shared, conversation).await {
        // A conversation this cache has not seen: fetch the list.
        return Box::pin(full(shared)).await;
    }
    announce::unread(shared).await;
    Ok(())
}

/// [`refresh`] in a task of its own: a failure is only logged (the next connect's sync
/// catches up). Used where the server wrote something it does not push (a call's notices).
pub(crate) fn refresh_soon(shared: &Arc<Shared>, conversation: Id) {
    let c = shared.clone();
    shared.spawn(async move {
        if let Err(e) = refresh(&c, conversation).await {
            tracing::debug!(error = %e, conversation, "refresh failed");
        }
    });
}

/// A page of history, newest first, older than `before`.
pub(crate) async fn page(
    shared: &Shared,
    conversation: Id,
    before: Option<Id>,
    limit: u32,
) -> Result<Vec<Message>, ClientError> {
    // Messages above the mark may have a gap below them: close it first, when reachable, so
    // the cache does not answer across a hole as if it were whole. A sync running now closes
    // it anyway: never wait behind one. Any failure leaves the cache's answer (offline
    // reading shows what is here).
    let (mark, newest_cached) = shared
        .cache
        .call(move |c| {
            Ok((
                c.contiguous_to(conversation)?,
                c.newest_message(conversation)?,
            ))
        })
        .await?;
    if newest_cached.is_some()
        && mark != newest_cached
        && let Ok(_one_at_a_time) = shared.sync_lock.try_lock()
    {
        let mark = shared.cache.call(move |c| mark_of(c, conversation)).await?;
        let unread_before = my_unread(shared, Some(conversation)).await?;
        match catch_up(shared, conversation, None, mark).await {
            // The pages re-fetched may carry read marks production never announced.
            Ok(()) => receipts(shared, Some(conversation), unread_before).await?,
            Err(e) => tracing::debug!(error = %e, "gap above the mark left open"),
        }
    }
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
        // The cache is a subset of the server's history, so there are at least this many
        // server messages at or above the oldest cached one: the page never skips any.
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
            // Only overlap: new messages shifted the offsets (or a gap stayed open because
            // the server could not be reached above). Answer what the cache has.
            break;
        }
        missing = missing.saturating_sub(fresh.len() as u32);
    }
    Ok(shared
        .cache
        .call(move |c| c.messages(conversation, before, limit))
        .await?)
}

/// Tells the UI about messages a sync found: one batch per conversation (a catch-up of a
/// thousand messages is a few events, not a thousand), oldest first.
fn tell_found<'a>(shared: &Shared, messages: impl Iterator<Item = &'a Message>, fresh: &[Id]) {
    if fresh.is_empty() {
        return;
    }
    let mut batches: std::collections::BTreeMap<Id, Vec<Message>> = Default::default();
    for m in messages.filter(|m| fresh.contains(&m.id)) {
        batches
            .entry(m.conversation_id)
            .or_default()
            .push(m.clone());
    }
    for (conversation_id, mut messages) in batches {
        messages.sort_by_key(|m| (m.created_at.millis(), m.id));
        shared.events.send(Event::MessagesFound {
            conversation_id,
            messages,
        });
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
