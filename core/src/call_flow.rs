//! The call flows of the contract, each in its order (REST first, then the socket event that
//! tells the other side), moving the user's call ([`crate::call_state`]) along: start, accept,
//! reject, hang up, rejoin; and [`watch`], which offers a call kept from the last run for
//! rejoining, checks the user's call after every reconnect (ending one the user left while
//! offline), and settles two calls started at once on a server that makes one per start.

use crate::call_state::{CallNow, Direction, Phase};
use crate::calls::{self, Ringer};
use crate::error::ClientError;
use crate::events::CallChange;
use crate::shared::Shared;
use crate::socket::LinkState;
use nursecare_wire::events::client as cev;
use nursecare_wire::socket::{AcceptVideoCall, CallAction, EndVideoCall, StartVideoCall};
use nursecare_wire::{CallStatus, Id, Timestamp, VideoCall, VideoCallWithUrl};
use std::sync::Arc;

/// Whether the server is ours (Part B): it keeps one ONGOING call per conversation and marks
/// unanswered calls missed by itself.
fn extensions(shared: &Shared) -> bool {
    shared.features().is_some_and(|f| f != Default::default())
}

/// Starts a call in a conversation and rings the other side; answers the call the user is
/// now in. When the other side called at the same moment, that call is answered instead (our
/// server answers a start with the ONGOING call; on production the newest ONGOING call by the
/// other side, started within the ring time, is taken).
pub(crate) async fn start(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    conversation: Id,
) -> Result<VideoCallWithUrl, ClientError> {
    if let Some(mine) = ringer.mine() {
        match mine.phase {
            // Left offline: the server hears of it first (or this start fails as well).
            Phase::HangingUp => finish_hanging_up(shared, ringer, &mine).await?,
            Phase::Rejoin if mine.conversation_id == conversation => {
                return rejoin(shared, ringer).await;
            }
            Phase::Rejoin => {}
            Phase::RingingOut | Phase::InCall => return Err(ClientError::InCall),
        }
    }
    if !extensions(shared)
        && let Ok(Some(theirs)) = shared.api.ongoing_call(conversation).await
        && theirs.started_by != shared.me
        && Timestamp::now().millis() - theirs.started_at.millis()
            < shared.config.ring_for.as_millis() as i64
    {
        tracing::info!(call = theirs.id, "calling while called: answering theirs");
        return accept(shared, ringer, &theirs.room_name).await;
    }
    let call = match shared.api.start_call(conversation).await {
        Ok(call) => call,
        // Our server (production never answers 409 here): an answered call is still ONGOING
        // in the conversation (another device's, or one nobody ended). It is offered for
        // rejoining (or ending), never ended by a start.
        Err(crate::api::ApiError::Rejected { status: 409, .. }) => {
            match offer_the_call_going_on(shared, ringer, conversation).await {
                Some(why) => return Err(why),
                // Over meanwhile: one start more.
                None => shared.api.start_call(conversation).await?,
            }
        }
        Err(e) => return Err(e.into()),
    };
    if call.call.started_by != shared.me {
        tracing::info!(
            call = call.call.id,
            "the server answered the other side's call: joining it"
        );
        return accept(shared, ringer, &call.call.room_name).await;
    }
    ringer.calling(
        call.call.id,
        call.call.conversation_id,
        &call.call.room_name,
    );
    remember(shared, &call.call).await;
    ringer.set_mine(
        shared,
        Some(CallNow::new(
            &call.call,
            Direction::Outgoing,
            Phase::RingingOut,
            call.jitsi_url.clone(),
            call.jitsi_jwt.clone(),
        )),
    );
    let payload = StartVideoCall {
        conversation_id: conversation,
        room_name: call.call.room_name.clone(),
        user_id: Some(shared.me),
        call_id: call.call.id,
    };
    // Not told, the call still exists: the callee's polling (or userRing on reconnect) finds it.
    tell(shared, cev::START_VIDEO_CALL, &payload).await;
    calls::watch_unanswered(shared.clone(), ringer.clone(), call.call.clone());
    if !extensions(shared) {
        look_for_a_crossed_call(shared.clone(), ringer.clone(), call.call.clone());
    }
    Ok(call)
}

/// A start found an answered call still ONGOING in the conversation: it becomes the user's
/// call as a rejoin offer (the call bar's *Rejoin* and *End call*) unless the user has a call
/// here by now; answers why the start did not happen, or `None` when that call is over.
async fn offer_the_call_going_on(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    conversation: Id,
) -> Option<ClientError> {
    let call = match shared.api.ongoing_call(conversation).await {
        Ok(Some(call)) => call,
        Ok(None) => return None,
        Err(e) => return Some(e.into()),
    };
    let url = match shared.api.call_by_room(&call.room_name).await {
        Ok(found) => found.and_then(|f| f.jitsi_url).unwrap_or_default(),
        Err(e) => return Some(e.into()),
    };
    let direction = if call.started_by == shared.me {
        Direction::Outgoing
    } else {
        Direction::Incoming
    };
    remember(shared, &call).await;
    let offer = CallNow::new(&call, direction, Phase::Rejoin, url, None);
    if ringer.offer(shared, offer) {
        tracing::info!(
            call = call.id,
            "a call is still going in this conversation: offered"
        );
    }
    Some(ClientError::CallGoingOn(call.id))
}

/// On a server that makes a call per start, the other side may have called at the same
/// moment: its call is older than ours or newer, and `/ongoing` shows only the newest. The
/// later of the two starts sees the earlier call in the history; ringing it through
/// [`calls::ring`] settles the race there (the older call wins on both sides).
fn look_for_a_crossed_call(shared: Arc<Shared>, ringer: Arc<Ringer>, mine: VideoCall) {
    let task = shared.clone();
    shared.spawn(async move {
        let shared = task;
        // Let a start sent at the same moment land first.
        tokio::time::sleep(shared.config.ring_poll).await;
        let history = match shared.api.call_history(mine.conversation_id).await {
            Ok(h) => h,
            Err(e) => {
                tracing::debug!(error = %e, "crossed-call check failed");
                return;
            }
        };
        let fresh_since = mine.started_at.millis() - shared.config.ring_for.as_millis() as i64;
        if let Some(theirs) = history.into_iter().find(|c| {
            c.id != mine.id
                && c.status == CallStatus::Ongoing
                && c.started_by != shared.me
                && c.started_at.millis() >= fresh_since
        }) {
            calls::ring(
                &shared,
                &ringer,
                theirs.id,
                theirs.conversation_id,
                &theirs.room_name,
                theirs.started_by,
            );
        }
    });
}

/// Accepts a call by its room. A call the user was in (or ringing out) on this device is hung
/// up once this one is accepted (the UI asks first): if accepting fails, the first call stays.
pub(crate) async fn accept(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    room_name: &str,
) -> Result<VideoCallWithUrl, ClientError> {
    // A call left offline is told first: accepting must not lose it.
    if let Some(left) = ringer
        .mine()
        .filter(|m| m.room_name != room_name && m.phase == Phase::HangingUp)
    {
        finish_hanging_up(shared, ringer, &left).await?;
    }
    let before = ringer.mine().filter(|m| m.room_name != room_name);
    let call = shared.api.accept_call(room_name).await?;
    remember(shared, &call.call).await;
    if ringer.answered(call.call.id) {
        // Answered here: it stops ringing (banners, notifications) `by` the user.
        calls::changed(
            shared,
            ringer,
            Some(call.call.id),
            Some(call.call.conversation_id),
            CallChange::StoppedRinging,
            Some(shared.me),
            None,
        );
    }
    if let Some(old) = before
        && let Err(e) = hang_up(shared, ringer, old.call_id).await
    {
        tracing::warn!(error = %e, call = old.call_id, "the earlier call was not hung up");
    }
    ringer.set_mine(
        shared,
        Some(CallNow::new(
            &call.call,
            Direction::Incoming,
            Phase::InCall,
            call.jitsi_url.clone(),
            call.jitsi_jwt.clone(),
        )),
    );
    let payload = AcceptVideoCall {
        conversation_id: call.call.conversation_id,
        room_name: call.call.room_name.clone(),
        user_id: Some(shared.me),
    };
    tell(shared, cev::ACCEPT_VIDEO_CALL, &payload).await;
    Ok(call)
}

/// Declines a ringing call.
pub(crate) async fn reject(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    call: Id,
) -> Result<VideoCall, ClientError> {
    let call = shared.api.reject_call(call).await?;
    remember(shared, &call).await;
    ringer.answered(call.id);
    call_action(shared, cev::REJECT_VIDEO_CALL, &call).await;
    Ok(call)
}

/// Hangs up (the web client's way of ending: `/end`, then `hangupVideoCall`). The call is over
/// for both sides.
pub(crate) async fn hang_up(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    call: Id,
) -> Result<VideoCall, ClientError> {
    let was_mine = ringer.mine().is_some_and(|m| m.call_id == call);
    let _one_ending = ringer.ending().await;
    still_to_end(ringer, call, was_mine)?;
    hang_up_now(shared, ringer, call).await
}

/// After the wait for the ending lock: a call that was the user's when the wait began and was
/// settled meanwhile by another path is not ended again (production's `/end` is not
/// idempotent): over → [`ClientError::CallOver`]; left offline, its end to be told →
/// [`ClientError::HangUpPending`].
fn still_to_end(ringer: &Ringer, call: Id, was_mine: bool) -> Result<(), ClientError> {
    if !was_mine {
        return Ok(());
    }
    match ringer.mine() {
        Some(m) if m.call_id == call && m.phase == Phase::HangingUp => {
            Err(ClientError::HangUpPending)
        }
        Some(m) if m.call_id == call => Ok(()),
        _ => Err(ClientError::CallOver),
    }
}

/// [`hang_up`], the ending lock held.
async fn hang_up_now(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    call: Id,
) -> Result<VideoCall, ClientError> {
    let call = end_on_server(shared, ringer, call).await?;
    call_action(shared, cev::HANGUP_VIDEO_CALL, &call).await;
    Ok(call)
}

/// `/end`, and the call is no longer the user's; the socket event is the caller's to send.
/// When the server cannot be reached, the user's call is left all the same
/// ([`Phase::HangingUp`]: the window closes, the server is told on the next connection) and
/// the answer is [`ClientError::HangUpPending`]; a refusal leaves everything as it was.
async fn end_on_server(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    call: Id,
) -> Result<VideoCall, ClientError> {
    let ended = match shared.api.end_call(call).await {
        Ok(ended) => ended,
        Err(e) if e.is_network() && ringer.hanging_up(shared, call) => {
            tracing::info!(
                call,
                "hung up offline: the server is told on the next connection"
            );
            return Err(ClientError::HangUpPending);
        }
        Err(e) => return Err(e.into()),
    };
    remember(shared, &ended).await;
    ringer.clear_mine(shared, ended.id);
    Ok(ended)
}

/// Tells the server about a call the user left while it could not be reached. The call is
/// looked up first: the other side has often ended it meanwhile (it is then let go, with how
/// it ended), and production's `/end` is not idempotent (a second one rewrites the duration
/// and adds a second notice; a first one may have landed before its answer was lost). Still
/// unreachable, or the server failing: that error, and it stays to be told (the next round of
/// [`follow_up`], the next connection). Refused (not found, not the user's to end): nothing is
/// left to tell, and it is let go.
async fn finish_hanging_up(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    left: &CallNow,
) -> Result<(), ClientError> {
    let _one_ending = ringer.ending().await;
    // Another path may have finished it while this one waited.
    if ringer
        .mine()
        .is_none_or(|m| m.call_id != left.call_id || m.phase != Phase::HangingUp)
    {
        return Ok(());
    }
    let ended = match still_on(shared, left).await {
        Ok(false) => {
            let how = how_it_ended(shared, left).await;
            settle_unheard(shared, ringer, left, how).await;
            return Ok(());
        }
        Ok(true) => hang_up_now(shared, ringer, left.call_id).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match ended {
        Ok(()) => Ok(()),
        Err(e) if refused(&e) => {
            tracing::warn!(error = %e, call = left.call_id, "the server refused to end a call left offline; let go");
            ringer.clear_mine(shared, left.call_id);
            Ok(())
        }
        Err(ClientError::HangUpPending) => Err(ClientError::Offline),
        Err(e) => {
            tracing::debug!(error = %e, call = left.call_id, "a call left offline is still to be ended");
            Err(e)
        }
    }
}

/// The server will not do it (asking again will not help).
fn refused(e: &ClientError) -> bool {
    use crate::api::ApiError;
    matches!(
        e,
        ClientError::Api(
            ApiError::NotFound(_) | ApiError::Forbidden(_) | ApiError::Rejected { .. }
        )
    )
}

/// Ends a call for both sides (`/end`, then `endVideoCall` with its duration).
pub(crate) async fn end(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    call: Id,
) -> Result<VideoCall, ClientError> {
    let was_mine = ringer.mine().is_some_and(|m| m.call_id == call);
    let _one_ending = ringer.ending().await;
    still_to_end(ringer, call, was_mine)?;
    let call = end_on_server(shared, ringer, call).await?;
    let payload = EndVideoCall {
        conversation_id: call.conversation_id,
        user_id: Some(shared.me),
        duration: call.duration,
        // Part B; production ignores the extra field.
        call_id: Some(call.id),
    };
    tell(shared, cev::END_VIDEO_CALL, &payload).await;
    Ok(call)
}

/// Goes back into the call offered for rejoining. No `/accept` (it would write another
/// SYSTEM message): our server's room lookup gives a participant the URL and a fresh token;
/// production's gives neither, and the URL kept from before serves (it has no tokens).
pub(crate) async fn rejoin(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
) -> Result<VideoCallWithUrl, ClientError> {
    let Some(offer) = ringer.mine().filter(|m| m.phase == Phase::Rejoin) else {
        return Err(ClientError::CallOver);
    };
    let found = shared.api.call_by_room(&offer.room_name).await?;
    let Some(found) = found.filter(|f| f.call.status == CallStatus::Ongoing) else {
        ringer.clear_mine(shared, offer.call_id);
        return Err(ClientError::CallOver);
    };
    let now = CallNow {
        jitsi_url: found.jitsi_url.unwrap_or(offer.jitsi_url.clone()),
        jitsi_jwt: found.jitsi_jwt,
        ..offer
    }
    .joined();
    let answer = VideoCallWithUrl {
        call: found.call,
        jitsi_url: now.jitsi_url.clone(),
        jitsi_jwt: now.jitsi_jwt.clone(),
    };
    ringer.set_mine(shared, Some(now));
    Ok(answer)
}

/// Caches a call the server answered with, and fetches the notice that step wrote in its
/// conversation (the server does not push its SYSTEM messages).
async fn remember(shared: &Arc<Shared>, call: &VideoCall) {
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

async fn call_action(shared: &Shared, event: &str, call: &VideoCall) {
    let payload = CallAction {
        conversation_id: call.conversation_id,
        call_id: call.id,
        user_id: Some(shared.me),
    };
    tell(shared, event, &payload).await;
}

/// Emits a call's socket event after its REST step; the step stands if the event is lost (the
/// other side finds the change by polling or on reconnect), so a failure is only logged.
async fn tell<T: serde::Serialize>(shared: &Shared, event: &str, payload: &T) {
    if let Err(e) = shared.tell_server(event, payload).await {
        tracing::warn!(error = %e, event, "call event not emitted");
    }
}

/// Runs for the client's life: offers the call kept from the last run for rejoining (once the
/// server can say it is still ONGOING), checks the user's call after every reconnect (it may
/// have ended unheard) and every `ring_poll` ([`follow_up`]); and answers the other side's
/// call when both called at once.
pub(crate) async fn watch(shared: Arc<Shared>, ringer: Arc<Ringer>) {
    let mut kept = match shared.cache.call(|c| c.my_call()).await {
        Ok(json) => json.and_then(|j| CallNow::from_kept(&j)),
        Err(e) => {
            tracing::warn!(error = %e, "the kept call could not be read");
            None
        }
    };
    // A call left offline in the last run shows as hanging up from the start; the check
    // below tells the server.
    if let Some(left) = kept.take_if(|k| k.phase == Phase::HangingUp) {
        if ringer.mine().is_none() {
            ringer.set_mine(&shared, Some(left));
        } else {
            ringer.keep_mine(&shared);
        }
    }
    let mut link = shared.socket.state();
    let mut checked: Option<LinkState> = None;
    loop {
        let now = link.borrow_and_update().clone();
        if matches!(now, LinkState::SessionExpired | LinkState::Stopped) {
            return;
        }
        let online = matches!(now, LinkState::Online { .. });
        if online && checked.as_ref() != Some(&now) {
            match check(&shared, &ringer, kept.take()).await {
                Ok(()) => checked = Some(now),
                Err((offer, e)) => {
                    // Try again on the next connection.
                    tracing::debug!(error = %e, "call check failed");
                    kept = offer;
                }
            }
        }
        tokio::select! {
            changed = link.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(shared.config.ring_poll), if online => {
                follow_up(&shared, &ringer).await;
            }
            () = ringer.race_lost() => {
                if let Some(room) = ringer.take_race()
                    && let Err(e) = accept(&shared, &ringer, &room).await
                {
                    tracing::warn!(error = %e, "the other side's call could not be answered");
                }
            }
        }
    }
}

/// Every `ring_poll` while online: a call left offline is ended on the server (its first
/// `/end` may have timed out with the link still up); and without userRing (production),
/// whose call events reach only the chat's room, joined only while that chat is open (joining
/// marks messages read), the user's call is looked up and an end found is told like one
/// heard.
async fn follow_up(shared: &Arc<Shared>, ringer: &Arc<Ringer>) {
    let Some(mine) = ringer.mine() else { return };
    if mine.phase == Phase::HangingUp {
        // Failures keep it pending for the next round.
        let _ = finish_hanging_up(shared, ringer, &mine).await;
        return;
    }
    let polling = shared.features().is_some_and(|f| !f.user_ring);
    if !polling || !matches!(mine.phase, Phase::RingingOut | Phase::InCall) {
        return;
    }
    match still_on(shared, &mine).await {
        Ok(false) => found_over(shared, ringer, &mine).await,
        Ok(true) => {}
        Err(e) => tracing::debug!(error = %e, "call recheck failed"),
    }
}

/// The user's call (ringing out or in it) was found over on the server: says how and clears
/// it — unless, by the time the history has answered, something else is ending it here or it
/// is no longer that call, on. The ending lock is not held across the lookups, so a Hang up
/// never waits behind them.
async fn found_over(shared: &Arc<Shared>, ringer: &Arc<Ringer>, mine: &CallNow) {
    let how = how_it_ended(shared, mine).await;
    let Ok(_one_ending) = ringer.try_ending() else {
        return;
    };
    let same = ringer.mine().is_some_and(|m| {
        m.call_id == mine.call_id && matches!(m.phase, Phase::RingingOut | Phase::InCall)
    });
    if same {
        settle_unheard(shared, ringer, mine, how).await;
    }
}

/// After a (re)connect: offers `kept` for rejoining if it is still ONGOING, and settles the
/// user's call if it ended while the link was down.
async fn check(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    kept: Option<CallNow>,
) -> Result<(), (Option<CallNow>, ClientError)> {
    if let Some(offer) = kept {
        match still_on(shared, &offer).await {
            Ok(true) if ringer.mine().is_none() => {
                tracing::info!(call = offer.call_id, "offering to rejoin a call");
                ringer.set_mine(
                    shared,
                    Some(CallNow {
                        phase: Phase::Rejoin,
                        in_call_since: None,
                        ..offer
                    }),
                );
            }
            Ok(true) => {}
            Ok(false) => {
                // Over while the app was closed: forget it.
                ringer.keep_mine(shared);
            }
            Err(e) => return Err((Some(offer), e)),
        }
    }
    let Some(mine) = ringer.mine().filter(|m| m.phase != Phase::Rejoin) else {
        return Ok(());
    };
    if mine.phase == Phase::HangingUp {
        return finish_hanging_up(shared, ringer, &mine)
            .await
            .map_err(|e| (None, e));
    }
    match still_on(shared, &mine).await {
        Ok(true) => Ok(()),
        Ok(false) => {
            found_over(shared, ringer, &mine).await;
            Ok(())
        }
        Err(e) => Err((None, e)),
    }
}

/// Whether the server still has the call ONGOING (looked up by its room: a conversation may
/// hold another ONGOING call, and `/ongoing` answers only the newest).
async fn still_on(shared: &Shared, call: &CallNow) -> Result<bool, ClientError> {
    Ok(shared
        .api
        .call_by_room(&call.room_name)
        .await?
        .is_some_and(|c| c.call.id == call.call_id && c.call.status == CallStatus::Ongoing))
}

/// How the user's call ended, from its conversation's history (when that answers): the
/// change to tell, its duration, and the call to cache.
async fn how_it_ended(
    shared: &Shared,
    mine: &CallNow,
) -> (CallChange, Option<i64>, Option<VideoCall>) {
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

/// The user's call ended unheard (while the link was down, outside the chat's room on
/// production, or while it was left offline): tells how, and clears it.
async fn settle_unheard(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    mine: &CallNow,
    (change, duration, last): (CallChange, Option<i64>, Option<VideoCall>),
) {
    if let Some(c) = last {
        remember(shared, &c).await;
    }
    tracing::info!(call = mine.call_id, "the call ended unheard");
    calls::changed(
        shared,
        ringer,
        Some(mine.call_id),
        Some(mine.conversation_id),
        change,
        None,
        duration,
    );
    // `changed` clears it unless that change was reported before.
    ringer.clear_mine(shared, mine.call_id);
}
