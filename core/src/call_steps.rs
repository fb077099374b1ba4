//! The REST and socket steps of a call, as plain functions: they ask the server or tell it,
//! and change nothing here but the cache's copy of a call. Only [`crate::call_owner`] calls
//! the ones that move the user's call; the look-ups also run beside it and report back.

use crate::api::ApiError;
use crate::error::ClientError;
use crate::events::CallChange;
use crate::my_call::CallNow;
use crate::shared::Shared;
use nursecare_wire::shapes::system;
use nursecare_wire::socket::CallAction;
use nursecare_wire::{CallStatus, Id, MessageType, VideoCall};
use std::sync::Arc;

/// Whether the server is ours (Part B): it keeps one ONGOING call per conversation and marks
/// unanswered calls missed by itself.
pub(crate) fn extensions(shared: &Shared) -> bool {
    shared.features().is_some_and(|f| f != Default::default())
}

/// Caches a call the server answered with, and fetches the notice that step wrote in its
/// conversation (the server does not push its SYSTEM messages).
pub(crate) async fn remember(shared: &Arc<Shared>, call: &VideoCall) {
    let put = call.clone();
    if let Err(e) = shared
        .cache
        .call(move |c| c.put_calls(std::slice::from_ref(&put)))
        .await
    {
        tracing::warn!(error = %e, "call not cached");
    }
    crate::sync::refresh_soon(shared, call.conversation_id);
}

/// Emits `rejectVideoCall` or `hangupVideoCall` for a call.
pub(crate) async fn call_action(shared: &Shared, event: &str, call: &VideoCall) {
    let payload = CallAction {
        conversation_id: call.conversation_id,
        call_id: call.id,
        user_id: Some(shared.me),
    };
    tell(shared, event, &payload).await;
}

/// Emits a call's socket event after its REST step; the step stands if the event is lost (the
/// other side finds the change by polling or on reconnect), so a failure is only logged.
pub(crate) async fn tell<T: serde::Serialize>(shared: &Shared, event: &str, payload: &T) {
    if let Err(e) = shared.tell_server(event, payload).await {
        tracing::warn!(error = %e, event, "call event not emitted");
    }
}

/// The server will not do it (asking again will not help).
pub(crate) fn refused(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Api(
            ApiError::NotFound(_) | ApiError::Forbidden(_) | ApiError::Rejected { .. }
        )
    )
}

/// Whether the server still has the call ONGOING (looked up by its room: a conversation may
/// hold another ONGOING call, and `/ongoing` answers only the newest).
pub(crate) async fn still_on(shared: &Shared, call: &CallNow) -> Result<bool, ClientError> {
    Ok(shared
        .api
        .call_by_room(&call.room_name)
        .await?
        .is_some_and(|c| c.call.id == call.call_id && c.call.status == CallStatus::Ongoing))
}

/// How a call ended: the change to tell, its duration, and the call to cache.
pub(crate) type How = (CallChange, Option<i64>, Option<VideoCall>);

/// How the user's call ended, from its conversation's history (when that answers).
pub(crate) async fn how_it_ended(shared: &Shared, mine: &CallNow) -> How {
    let last = shared
        .api
        .call_history(mine.conversation_id)
        .await
        .ok()
        .and_then(|h| h.into_iter().find(|c| c.id == mine.call_id));
    let (change, duration) = match &last {
        Some(c) if c.status == CallStatus::Missed => (CallChange::Missed, None),
        Some(c) => (CallChange::Ended, c.duration),
        None => (CallChange::Ended, None),
    };
    (change, duration, last)
}

/// The user's call looked up: `None` while the server has it on, else how it ended.
pub(crate) async fn over(shared: &Shared, mine: &CallNow) -> Result<Option<How>, ClientError> {
    Ok(match still_on(shared, mine).await? {
        true => None,
        false => Some(how_it_ended(shared, mine).await),
    })
}

/// A call that rang out here, looked up: `Missed` or `Ended` once the server has it settled
/// (the caller's side marked it, or ended it), `None` while it is still ONGOING.
pub(crate) async fn settled_since(
    shared: &Shared,
    call: Id,
    room: &str,
) -> Result<Option<CallChange>, ClientError> {
    let now = shared.api.call_by_room(room).await?;
    Ok(match now.map(|f| f.call).filter(|c| c.id == call) {
        Some(c) if c.status == CallStatus::Ongoing => None,
        Some(c) if c.status == CallStatus::Missed => Some(CallChange::Missed),
        _ => Some(CallChange::Ended),
    })
}

/// The user's outgoing call nobody was heard to answer within the ring time, on a server
/// without a missed-call timer (production keeps it ONGOING for ever): answers `Accepted` by
/// whoever joined (production tells an accept only to the chat's room, and keeps an answered
/// call ONGOING), or marks it missed on the server and answers `Missed`. `None`: over by
/// other means, or unsure (never call an answered call missed).
pub(crate) async fn settle_unanswered(
    shared: &Arc<Shared>,
    call: &VideoCall,
) -> Option<(CallChange, Option<Id>)> {
    match shared.api.ongoing_call(call.conversation_id).await {
        Ok(Some(now)) if now.id == call.id => {}
        _ => return None,
    }
    match joined(shared, call).await {
        Ok(Some(by)) => return Some((CallChange::Accepted, Some(by))),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not tell whether a call was answered");
            return None;
        }
    }
    match shared.api.missed_call(call.id).await {
        Ok(c) => {
            let _ = shared.cache.call(move |k| k.put_calls(&[c])).await;
            Some((CallChange::Missed, None))
        }
        Err(e) => {
            tracing::warn!(error = %e, "unanswered call not marked missed");
            None
        }
    }
}

/// Who joined the call, by the SYSTEM message production writes on accept (none carries a
/// call id: the first `VIDEO_CALL_JOINED` by someone else since the call started).
async fn joined(shared: &Shared, call: &VideoCall) -> Result<Option<Id>, ClientError> {
    let page = shared.api.messages(call.conversation_id, 50, 0).await?;
    crate::sync::merge(shared, &page).await?;
    Ok(page
        .iter()
        .filter(|m| {
            m.kind == MessageType::System
                && m.content == system::VIDEO_CALL_JOINED
                && m.sender_id != shared.me
                && m.created_at.millis() >= call.started_at.millis()
        })
        .map(|m| m.sender_id)
        .next())
}

/// On a server that makes a call per start, the other side may have called at the same
/// moment as the user's `mine`: its call is older or newer, and `/ongoing` shows only the
/// newest. The later of the two starts sees the earlier call in the history: answers it, to
/// be rung (which settles the race: the older call wins on both sides).
pub(crate) async fn crossed_call(shared: &Shared, mine: &VideoCall) -> Option<VideoCall> {
    let history = match shared.api.call_history(mine.conversation_id).await {
        Ok(h) => h,
        Err(e) => {
            tracing::debug!(error = %e, "crossed-call check failed");
            return None;
        }
    };
    let fresh_since = mine.started_at.millis() - shared.config.ring_for.as_millis() as i64;
    history.into_iter().find(|c| {
        c.id != mine.id
            && c.status == CallStatus::Ongoing
            && c.started_by != shared.me
            && c.started_at.millis() >= fresh_since
    })
}
