//! Video calls: the state machine behind `/video-calls/...` and the missed-call timer.
//!
//! Production's flow: start → (accept | reject | nobody) → end. Each step writes a SYSTEM message
//! in the same transaction as the call's change. With the extensions on, endings are idempotent
//! (B.9) and an unanswered call turns MISSED after `missed_after` (B.8); stale unanswered calls
//! are swept when the server starts.

use nursecare_wire::system::{VIDEO_CALL_JOINED, VIDEO_CALL_MISSED, VIDEO_CALL_REJECTED};
use nursecare_wire::{CallStatus, Id, Role, Timestamp, VideoCallWithUrl};
use rand::RngCore;
use std::sync::Arc;
use std::time::Duration;

use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::jitsi::Participant;
use crate::realtime::routing;
use crate::state::AppState;
use crate::store::{CallChange, CallGuard, CallRecord, SystemSender, SystemText};

/// `nursecare-<conversationId>-<16 lowercase hex>`.
pub fn new_room_name(conversation: Id) -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("nursecare-{conversation}-{hex}")
}

/// The call with its Jitsi URL and, where the server signs them, `user`'s token. The caller
/// has checked that `user` takes part in the call.
pub async fn with_url(
    state: &AppState,
    record: CallRecord,
    user: Id,
) -> ApiResult<VideoCallWithUrl> {
    let (jitsi_url, jitsi_jwt) = room_pass(state, &record.call.room_name, user).await?;
    Ok(VideoCallWithUrl {
        jitsi_url,
        jitsi_jwt,
        call: record.call,
    })
}

/// A room's URL and `user`'s token for it (none when tokens are off). `user` must take part
/// in the room's call: the callers check that first.
pub async fn room_pass(
    state: &AppState,
    room: &str,
    user: Id,
) -> ApiResult<(String, Option<String>)> {
    let jitsi = &state.settings.jitsi;
    let url = jitsi.url(room);
    if jitsi.mode() == "off" {
        return Ok((url, None));
    }
    let Some(who) = state.store.users(&[user]).await?.into_iter().next() else {
        return Err(ApiError::unauthorized());
    };
    // The meeting shows the name the chat shows; an account without one shows its email's
    // local part rather than the whole address.
    let name = match who.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_owned(),
        _ => who.email.split('@').next().unwrap_or_default().to_owned(),
    };
    let participant = Participant {
        id: user,
        name: &name,
        moderator: who.role != Role::Patient,
    };
    let token = jitsi.token(participant, room, Timestamp::now().millis() / 1000);
    Ok((url, token))
}

/// `POST /video-calls/start`. Production makes a new call each time; with the extensions on,
/// a start while the other side's call is still ringing answers that call (both pressed Call
/// at once) and writes nothing, and the client joins it; see [`before_start`] for the calls
/// already there.
pub async fn start(state: &Arc<AppState>, user: Id, conversation: Id) -> ApiResult<CallRecord> {
    access::conversation(state, conversation, user).await?;
    let room = new_room_name(conversation);
    let now = Timestamp::now();
    if !state.extensions() {
        let record = state
            .store
            .create_call(conversation, &room, user, now)
            .await?;
        tracing::info!(call = record.call.id, conversation, "call started");
        return Ok(record);
    }
    let ringing_since =
        Timestamp::from_millis(now.millis() - state.settings.missed_after.as_millis() as i64);
    before_start(state, user, conversation, ringing_since, now).await?;
    let (record, created) = state
        .store
        .create_call_once(conversation, &room, user, now, ringing_since)
        .await?;
    if created {
        tracing::info!(call = record.call.id, conversation, "call started");
        schedule_missed(state.clone(), record.call.id, state.settings.missed_after);
    } else {
        tracing::info!(
            call = record.call.id,
            conversation,
            "start found the ongoing call"
        );
    }
    Ok(record)
}

/// With the extensions on, before a start. An answered call still ONGOING in the conversation
/// may have people in it (on another device) or be one nobody ended: the server cannot tell,
/// so the start is refused (409, nothing written) and the client offers to rejoin or end it;
/// a start never ends a call someone may be in. A call that was never answered and is not
/// the other side's still ringing (the starter's own earlier ring, or one the missed-call
/// timer has not reached yet) is replaced: it turns MISSED and both sides hear it. The other
/// side's ringing call is left for the start to answer.
async fn before_start(
    state: &AppState,
    user: Id,
    conversation: Id,
    ringing_since: Timestamp,
    at: Timestamp,
) -> ApiResult<()> {
    let mut unanswered = Vec::new();
    for call in state.store.calls_of(conversation).await? {
        if call.status != CallStatus::Ongoing {
            continue;
        }
        let Some(record) = state.store.call(call.id).await? else {
            continue;
        };
        if record.answered_at.is_some() {
            return Err(ApiError::Conflict(format!(
                "Video call {} is still ONGOING in this conversation: rejoin it or end it first",
                call.id
            )));
        }
        let theirs_ringing =
            call.started_by != user && call.started_at.millis() >= ringing_since.millis();
        if !theirs_ringing {
            unanswered.push(call.id);
        }
    }
    for call in unanswered {
        if miss(state, call, at).await? {
            tracing::info!(call, "an unanswered call replaced by a newer start");
        }
    }
    Ok(())
}

/// `POST /video-calls/accept`. Production accepts any call, in any state, by anyone in the
/// conversation; with the extensions on, only the callee accepts, and only an ONGOING call
/// (403 for one's own call, 409 otherwise; no SYSTEM message either way).
pub async fn accept(state: &AppState, user: Id, room_name: &str) -> ApiResult<CallRecord> {
    let record = state
        .store
        .call_by_room(room_name)
        .await?
        .ok_or_else(|| ApiError::NotFound("Video call not found".into()))?;
    access::conversation(state, record.call.conversation_id, user).await?;
    let guard = if state.extensions() {
        if record.call.started_by == user {
            return Err(ApiError::Forbidden(
                "The caller cannot accept their own call".into(),
            ));
        }
        if record.call.status != CallStatus::Ongoing {
            return Err(not_ongoing(&record));
        }
        CallGuard::Ongoing
    } else {
        CallGuard::Any
    };
    let changed = state
        .store
        .change_call(
            record.call.id,
            CallChange {
                guard,
                status: None,
                set_ended_at: false,
                set_duration: false,
                set_answered: true,
                system: (
                    SystemSender::User(user),
                    SystemText::Fixed(VIDEO_CALL_JOINED),
                ),
                at: Timestamp::now(),
            },
        )
        .await?
        .ok_or_else(|| ApiError::NotFound("Video call not found".into()))?;
    // The guard is checked again inside the transaction: a call ended meanwhile is refused.
    if !changed.applied {
        return Err(not_ongoing(&changed.record));
    }
    Ok(changed.record)
}

/// The 409 for a call that is over.
pub fn not_ongoing(record: &CallRecord) -> ApiError {
    ApiError::Conflict(format!(
        "Video call {} is {}, not ONGOING",
        record.call.id,
        record.call.status.as_str()
    ))
}

/// The endings a client can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `PATCH /:id/end`: ENDED with a duration.
    End,
    /// `PATCH /:id/reject`: MISSED, by the callee.
    Reject,
    /// `PATCH /:id/missed`: MISSED, nobody answered.
    Missed,
}

/// `PATCH /video-calls/:id/{end,reject,missed}`.
pub async fn finish(state: &AppState, user: Id, call: Id, ending: Ending) -> ApiResult<CallRecord> {
    access::call(state, call, user).await?;
    // Production applies endings again and again; ours answer an ended call as it is (B.9).
    let guard = if state.extensions() {
        CallGuard::Ongoing
    } else {
        CallGuard::Any
    };
    let at = Timestamp::now();
    let change_for = match ending {
        Ending::End => CallChange {
            guard,
            status: Some(CallStatus::Ended),
            set_ended_at: true,
            set_duration: true,
            set_answered: false,
            system: (SystemSender::Starter, SystemText::EndedWithDuration),
            at,
        },
        Ending::Reject => CallChange {
            guard,
            status: Some(CallStatus::Missed),
            set_ended_at: true,
            set_duration: false,
            set_answered: false,
            system: (
                SystemSender::User(user),
                SystemText::Fixed(VIDEO_CALL_REJECTED),
            ),
            at,
        },
        Ending::Missed => CallChange {
            guard,
            status: Some(CallStatus::Missed),
            set_ended_at: false,
            set_duration: false,
            set_answered: false,
            system: (SystemSender::Starter, SystemText::Fixed(VIDEO_CALL_MISSED)),
            at,
        },
    };
    let record = change(state, call, change_for).await?;
    tracing::info!(
        call,
        ?ending,
        status = record.call.status.as_str(),
        "call ending"
    );
    Ok(record)
}

async fn change(state: &AppState, call: Id, change: CallChange) -> ApiResult<CallRecord> {
    state
        .store
        .change_call(call, change)
        .await?
        .map(|c| c.record)
        .ok_or_else(|| ApiError::NotFound(format!("Video call {call} not found")))
}

/// Turns the call MISSED after `delay` unless it was answered or ended meanwhile, and tells
/// the participants.
pub fn schedule_missed(state: Arc<AppState>, call: Id, delay: Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        if let Err(e) = mark_missed(&state, call).await {
            tracing::error!(call, error = %format!("{e:#}"), "missed-call timer failed");
        }
    });
}

async fn mark_missed(state: &AppState, call: Id) -> anyhow::Result<()> {
    if miss(state, call, Timestamp::now()).await? {
        tracing::info!(call, "call missed: nobody answered");
    }
    Ok(())
}

/// Turns an unanswered ONGOING call MISSED and tells the participants; answers whether it did
/// (an answer or an ending may have come first).
async fn miss(state: &AppState, call: Id, at: Timestamp) -> ApiResult<bool> {
    let missed = CallChange {
        guard: CallGuard::OngoingUnanswered,
        status: Some(CallStatus::Missed),
        set_ended_at: false,
        set_duration: false,
        set_answered: false,
        system: (SystemSender::Starter, SystemText::Fixed(VIDEO_CALL_MISSED)),
        at,
    };
    let Some(changed) = state
        .store
        .change_call(call, missed)
        .await?
        .filter(|c| c.applied)
    else {
        return Ok(false);
    };
    if let Some(members) = state
        .store
        .members(changed.record.call.conversation_id)
        .await?
    {
        routing::call_missed(state, &members, call).await;
    }
    Ok(true)
}

/// At start: unanswered calls older than `missed_after` turn MISSED now; younger ones get
/// their timer back.
pub async fn sweep(state: &Arc<AppState>) -> anyhow::Result<()> {
    let now = Timestamp::now().millis();
    let limit = state.settings.missed_after;
    for record in state.store.unanswered_calls().await? {
        let age = Duration::from_millis((now - record.call.started_at.millis()).max(0) as u64);
        let remaining = limit.saturating_sub(age);
        if remaining.is_zero() {
            mark_missed(state, record.call.id).await?;
        } else {
            schedule_missed(state.clone(), record.call.id, remaining);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::new_room_name;

    #[test]
    fn room_names_have_production_format() {
        let r = new_room_name(42);
        let hex = r.strip_prefix("nursecare-42-").unwrap();
        assert_eq!(hex.len(), 16);
        assert!(
            hex.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert_ne!(new_room_name(42), r);
    }
}
