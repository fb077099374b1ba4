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

use crate::api::ApiError;
use crate::cache::{OutboxItem, OutboxState, SendFailure};
use crate::error::ClientError;
use crate::events::Event;
use crate::shared::Shared;
use crate::socket::{Features, LinkState};
use crate::sync;
use nursecare_wire::events::client as cev;
use nursecare_wire::socket::SendMessage;
use nursecare_wire::{Id, Message, MessageType};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Most pages read back when reconciling.
const RECONCILE_PAGES: u64 = 10;
/// First and longest wait after the server or the cache failed.
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// The message being emitted now (one at a time keeps the order and ties a production echo,
/// which has no clientId, to its row).
#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    pub client_id: String,
    pub conversation_id: Id,
    pub content: String,
    pub local_id: i64,
}

/// The outbox's state between its task, the engine (which sees echoes and refusals) and
/// `Client::send` (which queues).
#[derive(Default)]
pub(crate) struct Delivery {
    in_flight: Mutex<Option<InFlight>>,
    /// Whether a row is in flight, for [`Delivery::landed`].
    flying: tokio::sync::watch::Sender<bool>,
    /// Woken when a row is confirmed or failed.
    settled: Notify,
    /// Woken when a row is queued.
    kick: Notify,
}

impl Delivery {
    /// A row was queued or put back: look at the outbox again.
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// The clientId of the row in flight when it carries this text to this conversation: a
    /// production echo has no clientId, so that is how it is known to be ours.
    pub fn echo_of(&self, conversation: Id, content: &str) -> Option<String> {
        let slot = self.in_flight.lock().expect("in-flight lock");
        slot.as_ref()
            .filter(|f| f.conversation_id == conversation && f.content == content)
            .map(|f| f.client_id.clone())
    }

    /// Takes the row in flight (production's `error` names no message: it is that one).
    pub fn take_in_flight(&self) -> Option<InFlight> {
        let taken = self.in_flight.lock().expect("in-flight lock").take();
        self.flying.send_replace(false);
        taken
    }

    /// Waits, `limit` at most, until no row is in flight: a message emitted is settled (its
    /// echo, or its refusal) before the link may end under it.
    pub async fn landed(&self, limit: Duration) {
        let mut flying = self.flying.subscribe();
        let _ = tokio::time::timeout(limit, flying.wait_for(|f| !*f)).await;
    }

    fn begin(&self, f: InFlight) {
        *self.in_flight.lock().expect("in-flight lock") = Some(f);
        self.flying.send_replace(true);
    }

    fn end(&self, local_id: i64) {
        let mut slot = self.in_flight.lock().expect("in-flight lock");
        if slot.as_ref().is_some_and(|f| f.local_id == local_id) {
            *slot = None;
            self.flying.send_replace(false);
        }
    }

    fn settle(&self) {
        self.settled.notify_one();
    }
}

/// Runs until the client stops.
pub(crate) async fn run(shared: Arc<Shared>, delivery: Arc<Delivery>) {
    let mut link = shared.socket.state();
    let mut backoff = BACKOFF_MIN;
    loop {
        let features = match &*link.borrow_and_update() {
            LinkState::Online { features, .. } => Some(*features),
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
        // before the emit: an emit that may have left must count, even across a crash.) A row
        // to be looked for on the server first gets its attempt once that is done.
        let next = shared
            .cache
            .call(move |c| {
                let next = c.outbox_next()?;
                if let Some(item) = &next
                    && !needs_reconcile(item, features)
                {
                    c.outbox_attempt(item.local_id)?;
                }
                Ok(next)
            })
            .await;
        let outcome = match next {
            Ok(Some(item)) => deliver(&shared, &delivery, item, features).await,
            Ok(None) => {
                tokio::select! {
                    _ = delivery.kick.notified() => {}
                    r = link.changed() => if r.is_err() { return },
                }
                Next::Go
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox unreadable");
                Next::BackOff
            }
        };
        match outcome {
            Next::Go => backoff = BACKOFF_MIN,
            Next::BackOff => {
                tracing::debug!(wait_ms = backoff.as_millis() as u64, "outbox backing off");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    // A new connection is worth trying at once.
                    r = link.changed() => if r.is_err() { return },
                }
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
            Next::SignedOut => {
                // One sign-out for every task: the link ends as a refused session, and the
                // outbox waits for a new login (a new client) with its rows kept.
                shared.socket.session_expired();
                return;
            }
        }
    }
}

/// Whether a row must be looked for on the server before it goes out again: it may have
/// reached production already, which echoes no clientId to tell.
fn needs_reconcile(item: &OutboxItem, features: Features) -> bool {
    !features.client_id && item.attempted_at.is_some()
}

/// What the outbox does after a row.
enum Next {
    /// On to the next row.
    Go,
    /// The server or the cache failed: wait longer each time before trying again.
    BackOff,
    /// The server refused the session.
    SignedOut,
}

async fn deliver(
    shared: &Shared,
    delivery: &Delivery,
    item: OutboxItem,
    features: Features,
) -> Next {
    let local_id = item.local_id;
    // An earlier emit may have reached production (which echoes no clientId): look for it on
    // the server before anything else, even before giving up.
    if needs_reconcile(&item, features) {
        match reconcile(shared, delivery, &item).await {
            Ok(true) => return Next::Go,
            Ok(false) => {
                if let Err(e) = shared.cache.call(move |c| c.outbox_attempt(local_id)).await {
                    tracing::error!(error = %e, "outbox attempt not recorded");
                    return Next::BackOff;
                }
            }
            Err(e) => return after_refusal(shared, delivery, local_id, e).await,
        }
    }
    // `item` was read before this attempt was recorded.
    if item.attempts >= shared.config.max_attempts {
        fail(
            shared,
            delivery,
            local_id,
            SendFailure::Unconfirmed,
            "the server did not confirm this message",
        )
        .await;
        return Next::Go;
    }
    delivery.begin(InFlight {
        client_id: item.client_id.clone(),
        conversation_id: item.conversation_id,
        content: item.content.clone(),
        local_id,
    });
    let payload = SendMessage {
        conversation_id: item.conversation_id,
        sender_id: Some(shared.me),
        content: item.content.clone(),
        kind: Some(MessageType::Text),
        client_id: features.client_id.then(|| item.client_id.clone()),
        // A row queued urgent goes out as such only where the server takes it (else as an
        // ordinary message: the UI offers urgent only where the server has it).
        urgent: (item.urgent && features.urgent).then_some(true),
    };
    let next = match shared.tell_server(cev::SEND_MESSAGE, &payload).await {
        Ok(()) => {
            wait_settled(shared, delivery, &item.client_id).await;
            Next::Go
        }
        Err(_) => {
            // Never left this machine: not an attempt. The link is going down; wait for it
            // rather than take the row again at once.
            undo_attempt(shared, local_id).await;
            Next::BackOff
        }
    };
    delivery.end(local_id);
    next
}

/// A reconcile that failed: back off on network, server and cache trouble; sign out on a
/// refused session; fail the row on any other refusal (it will not pass by waiting).
async fn after_refusal(
    shared: &Shared,
    delivery: &Delivery,
    local_id: i64,
    e: ClientError,
) -> Next {
    match &e {
        ClientError::Api(a) if a.ends_session() => Next::SignedOut,
        ClientError::Api(a)
            if a.is_network() || matches!(a, ApiError::Server { .. } | ApiError::Busy { .. }) =>
        {
            tracing::debug!(error = %e, "outbox reconcile failed; trying again later");
            Next::BackOff
        }
        ClientError::Api(
            a @ (ApiError::Forbidden(_) | ApiError::NotFound(_) | ApiError::Rejected { .. }),
        ) => {
            let reason = a.to_string();
            fail(shared, delivery, local_id, SendFailure::Refused, &reason).await;
            Next::Go
        }
        _ => {
            tracing::warn!(error = %e, "outbox reconcile failed; trying again later");
            Next::BackOff
        }
    }
}

/// Takes back an attempt that emitted nothing.
async fn undo_attempt(shared: &Shared, local_id: i64) {
    if let Err(e) = shared
        .cache
        .call(move |c| c.outbox_attempt_undo(local_id))
        .await
    {
        tracing::error!(error = %e, "outbox attempt not taken back");
    }
}

/// Waits for the row's echo (or failure), the echo time-out, or the link going down.
async fn wait_settled(shared: &Shared, delivery: &Delivery, client_id: &str) {
    let mut link = shared.socket.state();
    // The connection the emit went out on: an echo lost with it will not come on another.
    let on = connection_of(&link.borrow_and_update());
    let deadline = tokio::time::Instant::now() + shared.config.echo_timeout;
    loop {
        tokio::select! {
            _ = delivery.settled.notified() => {
                let id = client_id.to_owned();
                match shared.cache.call(move |c| c.outbox_item(&id)).await {
                    Ok(Some(row)) if row.state != OutboxState::Pending => return,
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                tracing::debug!("no echo in time; the message will be tried again");
                return;
            }
            r = link.changed() => {
                if r.is_err() || connection_of(&link.borrow_and_update()) != on {
                    return;
                }
            }
        }
    }
}

fn connection_of(state: &LinkState) -> Option<u64> {
    match state {
        LinkState::Online { connection, .. } => Some(*connection),
        _ => None,
    }
}

/// Looks for an attempted row's message on the server; answers whether it was there.
async fn reconcile(
    shared: &Shared,
    delivery: &Delivery,
    item: &OutboxItem,
) -> Result<bool, ClientError> {
    let skew = shared.config.reconcile_skew.as_millis() as i64;
    let since = item.attempted_at.map(|t| t.millis()).unwrap_or(0) - skew;
    // The newest page, and older ones while they are still newer than the attempt (a busy
    // conversation may have moved on by more than a page).
    let mut page = Vec::new();
    for n in 0..RECONCILE_PAGES {
        let got = shared
            .api
            .messages(item.conversation_id, 50, n * 50)
            .await?;
        let done = got.len() < 50 || got.last().is_some_and(|m| m.created_at.millis() < since);
        page.extend(got);
        if done {
            break;
        }
    }
    // Oldest first, so equal texts are matched in the order they were typed.
    for m in page.iter().rev() {
        if m.sender_id != shared.me || m.content != item.content || m.created_at.millis() < since {
            continue;
        }
        let id: Id = m.id;
        if shared.cache.call(move |c| c.outbox_claimed(id)).await? {
            continue;
        }
        let client_id = item.client_id.clone();
        let message = m.clone();
        let (confirmed, fresh) = shared
            .cache
            .call(move |c| c.outbox_confirm(&client_id, &message))
            .await?;
        tracing::debug!(message = id, "outbox row found on the server");
        if let Some(row) = confirmed {
            announce_sent(shared, delivery, row, fresh.then_some(m.clone()));
        }
        return Ok(true);
    }
    sync::merge(shared, &page).await?;
    Ok(false)
}

/// Marks a pending row failed and says so (a row no longer pending is left alone).
pub(crate) async fn fail(
    shared: &Shared,
    delivery: &Delivery,
    local_id: i64,
    failure: SendFailure,
    reason: &str,
) {
    let text = reason.to_owned();
    match shared
        .cache
        .call(move |c| c.outbox_fail(local_id, failure, &text))
        .await
    {
        Ok(Some(item)) => {
            // The reason may quote the server; the log keeps only the kind. The user reads
            // the reason on the row.
            tracing::info!(local_id, ?failure, "message not sent");
            shared.events.send(Event::Outbox { item });
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "outbox failure not recorded"),
    }
    delivery.settle();
}

/// Fails the pending row with this clientId (the server refused it by name).
pub(crate) async fn refused(shared: &Shared, delivery: &Delivery, client_id: String, reason: &str) {
    let row = shared.cache.call(move |c| c.outbox_item(&client_id)).await;
    match row {
        Ok(Some(item)) if item.state == OutboxState::Pending => {
            fail(
                shared,
                delivery,
                item.local_id,
                SendFailure::Refused,
                reason,
            )
            .await;
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "outbox refusal not recorded"),
    }
}

/// Events for a confirmed row: the row, the message (when new to the cache), the preview.
pub(crate) fn announce_sent(
    shared: &Shared,
    delivery: &Delivery,
    item: OutboxItem,
    message: Option<Message>,
) {
    let conversation = item.conversation_id;
    let client_id = item.client_id.clone();
    // The next message may go now; the list row below can follow.
    delivery.settle();
    shared.events.send(Event::Outbox { item });
    if let Some(mut m) = message {
        m.client_id = Some(client_id);
        shared.events.send(Event::MessageAdded {
            message: m,
            live: true,
        });
    }
    shared.touch(conversation, false);
}
