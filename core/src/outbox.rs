//! Delivering the outbox: one message at a time, oldest first, whenever the link is up.
//!
//! A row is emitted, then its echo is awaited (the engine matches it and confirms the row).
//! Without an echo in time the row is tried again:
//! - with clientId (the project's server) simply re-emitted: the server stores a repeated
//!   clientId once and answers the stored message;
//! - without (production) first reconciled with the server's newest page: a message of the
//!   user's with the same text, sent since the attempt and not yet matched to another row, is
//!   taken as this row's. Only when none is found is it emitted again. That is the best
//!   production allows (README says so): two identical texts sent at once from two devices
//!   could be matched crosswise, never lost or doubled.
//!
//! One message in flight keeps the order, and ties production's echo (no clientId) and its
//! `error` event (no correlation at all) to the right row.

use crate::client::{Ctx, InFlight};
use crate::events::Event;
use crate::socket::{Features, LinkState};
use nursecare_wire::events::client as cev;
use nursecare_wire::socket::SendMessage;
use nursecare_wire::{Id, MessageType};
use std::sync::Arc;
use std::time::Duration;

/// Clock skew allowed between this machine and the server when matching by time.
const SKEW_MS: i64 = 120_000;
/// Most pages read back when reconciling.
const RECONCILE_PAGES: u64 = 10;

/// Runs until the client stops.
pub(crate) async fn run(ctx: Arc<Ctx>) {
    let mut link = ctx.socket.state();
    loop {
        let features = match &*link.borrow_and_update() {
            LinkState::Online(f) => Some(*f),
            LinkState::SessionExpired | LinkState::Stopped => return,
            _ => None,
        };
        let Some(features) = features else {
            if link.changed().await.is_err() {
                return;
            }
            continue;
        };
        // The next row, and its attempt recorded, in one trip to the cache thread. (Recorded
        // before the emit: an emit that may have left must count.)
        match ctx
            .cache
            .call(|c| {
                let next = c.outbox_next()?;
                if let Some(item) = &next {
                    c.outbox_attempt(item.local_id)?;
                }
                Ok(next)
            })
            .await
        {
            Ok(Some(item)) => {
                deliver(&ctx, item, features).await;
            }
            Ok(None) => {
                tokio::select! {
                    _ = ctx.kick.notified() => {}
                    r = link.changed() => if r.is_err() { return },
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox unreadable");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn deliver(ctx: &Arc<Ctx>, item: crate::cache::OutboxItem, features: Features) {
    // `item` was read before this attempt was recorded.
    if item.attempts >= ctx.config.max_attempts {
        fail(
            ctx,
            item.local_id,
            "the server did not confirm this message",
        )
        .await;
        return;
    }
    if !features.client_id && item.attempted_at.is_some() {
        match reconcile(ctx, &item).await {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => {
                tracing::debug!(error = %e, "outbox reconcile failed; retrying later");
                undo_attempt(ctx, item.local_id).await;
                tokio::time::sleep(Duration::from_millis(500)).await;
                return;
            }
        }
    }
    let local_id = item.local_id;
    *ctx.inflight.lock().expect("inflight lock") = Some(InFlight {
        client_id: item.client_id.clone(),
        conversation_id: item.conversation_id,
        content: item.content.clone(),
        local_id,
    });
    let payload = SendMessage {
        conversation_id: item.conversation_id,
        sender_id: Some(ctx.me),
        content: item.content.clone(),
        kind: Some(MessageType::Text),
        client_id: features.client_id.then(|| item.client_id.clone()),
    };
    match ctx.emit(cev::SEND_MESSAGE, &payload).await {
        Ok(()) => wait_settled(ctx, &item.client_id).await,
        // Never left this machine: not an attempt.
        Err(_) => undo_attempt(ctx, local_id).await,
    }
    let mut slot = ctx.inflight.lock().expect("inflight lock");
    if slot.as_ref().is_some_and(|f| f.local_id == local_id) {
        *slot = None;
    }
}

/// Takes back an attempt that emitted nothing.
async fn undo_attempt(ctx: &Ctx, local_id: i64) {
    if let Err(e) = ctx
        .cache
        .call(move |c| c.outbox_attempt_undo(local_id))
        .await
    {
        tracing::error!(error = %e, "outbox attempt not taken back");
    }
}

/// Waits for the row's echo (or failure), the echo time-out, or the link going down.
async fn wait_settled(ctx: &Ctx, client_id: &str) {
    let mut link = ctx.socket.state();
    let deadline = tokio::time::Instant::now() + ctx.config.echo_timeout;
    loop {
        tokio::select! {
            _ = ctx.settled.notified() => {
                let id = client_id.to_owned();
                match ctx.cache.call(move |c| c.outbox_item(&id)).await {
                    Ok(Some(row)) if row.state != crate::cache::OutboxState::Pending => return,
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                tracing::debug!("no echo in time; the message will be tried again");
                return;
            }
            r = link.changed() => {
                if r.is_err() || !matches!(&*link.borrow(), LinkState::Online(_)) {
                    return;
                }
            }
        }
    }
}

/// Looks for an attempted row's message on the server; answers whether it was there.
async fn reconcile(
    ctx: &Ctx,
    item: &crate::cache::OutboxItem,
) -> Result<bool, crate::client::ClientError> {
    let since = item.attempted_at.map(|t| t.millis()).unwrap_or(0) - SKEW_MS;
    // The newest page, and older ones while they are still newer than the attempt (a busy
    // conversation may have moved on by more than a page).
    let mut page = Vec::new();
    for n in 0..RECONCILE_PAGES {
        let got = ctx.api.messages(item.conversation_id, 50, n * 50).await?;
        let done = got.len() < 50 || got.last().is_some_and(|m| m.created_at.millis() < since);
        page.extend(got);
        if done {
            break;
        }
    }
    // Oldest first, so equal texts are matched in the order they were typed.
    for m in page.iter().rev() {
        if m.sender_id != ctx.me || m.content != item.content || m.created_at.millis() < since {
            continue;
        }
        let id: Id = m.id;
        if ctx.cache.call(move |c| c.outbox_claimed(id)).await? {
            continue;
        }
        let client_id = item.client_id.clone();
        let message = m.clone();
        let (confirmed, fresh) = ctx
            .cache
            .call(move |c| c.outbox_confirm(&client_id, &message))
            .await?;
        tracing::debug!(message = id, "outbox row found on the server");
        if let Some(row) = confirmed {
            announce_sent(ctx, row, fresh.then_some(m.clone()));
        }
        return Ok(true);
    }
    let put = page;
    ctx.cache.call(move |c| c.put_messages(&put)).await?;
    Ok(false)
}

/// Marks a row failed and says so.
pub(crate) async fn fail(ctx: &Ctx, local_id: i64, reason: &'static str) {
    if let Err(e) = ctx
        .cache
        .call(move |c| c.outbox_fail(local_id, reason))
        .await
    {
        tracing::error!(error = %e, "outbox failure not recorded");
        return;
    }
    tracing::warn!(local_id, reason, "message not sent");
    if let Ok(rows) = ctx.cache.call(|c| c.outbox_unsent(None)).await
        && let Some(item) = rows.into_iter().find(|r| r.local_id == local_id)
    {
        ctx.events.send(Event::Outbox { item });
    }
    ctx.settled.notify_one();
}

/// Events for a confirmed row: the row, the message (when new to the cache), the preview.
pub(crate) fn announce_sent(
    ctx: &Ctx,
    item: crate::cache::OutboxItem,
    message: Option<nursecare_wire::Message>,
) {
    let conversation = item.conversation_id;
    let client_id = item.client_id.clone();
    // The next message may go now; the list row below can follow.
    ctx.settled.notify_one();
    ctx.events.send(Event::Outbox { item });
    if let Some(mut m) = message {
        m.client_id = Some(client_id);
        ctx.events.send(Event::MessageAdded {
            message: m,
            live: true,
        });
    }
    ctx.touch(conversation, false);
}
