//! Ringing: which incoming calls ring here, and finding them where the server does not push
//! them to every device (no userRing: production rings only sockets in the conversation's
//! room, that is, only where the chat is open).
//!
//! Without userRing, [`poll`] asks `/ongoing` for every conversation, every
//! `ClientConfig::ring_poll` (backing off to a minute while the server fails), and rings for a
//! call started by someone else less than `ring_for` ago; every quarter of `ring_for` it takes
//! the conversations from the server's list rather than the cache (a conversation started
//! after the last sync), merging the read marks the list carries. Calls ring once, stop ringing when
//! answered, declined, ended or missed (here or elsewhere), and stop by themselves after
//! `ring_for`. As a caller on production, nobody marks an unanswered call missed (it stays
//! ONGOING forever there), so [`watch_unanswered`] does it after `ring_for` — unless the call
//! was answered, which an accepted call (also ONGOING there) shows by the callee's
//! `videoCallAccepted` (in the room only) or the `VIDEO_CALL_JOINED` SYSTEM message.

use crate::call_state::{CallNow, Phase, Race, race};
use crate::error::ClientError;
use crate::events::{CallChange, Event};
use crate::shared::Shared;
use crate::socket::LinkState;
use nursecare_wire::shapes::system;
use nursecare_wire::{CallStatus, Id, MessageType, Timestamp, VideoCall};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A call ringing here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ringing {
    /// Its conversation.
    pub conversation_id: Id,
    /// Its room.
    pub room_name: String,
    /// Who calls.
    pub caller_id: Id,
    since: Instant,
}

/// The calls this client knows about in this run.
#[derive(Debug, Default)]
pub struct Board {
    ringing: HashMap<Id, Ringing>,
    /// Calls that rang (or were answered) already: never ring twice.
    seen: HashSet<Id>,
    /// (call, change) already reported: reject and hang-up arrive up to three times.
    reported: HashSet<(Id, u8)>,
    /// The user's own calls by room: production's `videoCallAccepted {roomName, userId}`
    /// names no call.
    outgoing: HashMap<String, Id>,
    /// The user's call on this device.
    mine: Option<CallNow>,
    /// The room of the other side's call to answer: both called at once, and theirs won.
    race_lost: Option<String>,
    /// The conversation of every call seen in this run (production's events may name none).
    conversations: HashMap<Id, Id>,
    /// Incoming calls that rang out here while still ONGOING on a server without a
    /// missed-call timer: followed until the caller's side marks them missed (or ends them),
    /// so that notice reaches the thread too. (call → conversation, room, when it rang out.)
    ran_out: HashMap<Id, (Id, String, Instant)>,
}

impl Board {
    /// Starts ringing; false when the call rang before.
    pub fn ring(&mut self, call: Id, conversation_id: Id, room_name: &str, caller_id: Id) -> bool {
        self.conversations.insert(call, conversation_id);
        if !self.seen.insert(call) {
            return false;
        }
        self.ringing.insert(
            call,
            Ringing {
                conversation_id,
                room_name: room_name.to_owned(),
                caller_id,
                since: Instant::now(),
            },
        );
        true
    }

    /// The call was dealt with here; answers whether it was ringing.
    pub fn answered(&mut self, call: Id) -> bool {
        self.stop(call).is_some()
    }

    /// The call stops ringing here (never to ring again); answers its ringing, if it rang.
    pub fn stop(&mut self, call: Id) -> Option<Ringing> {
        self.seen.insert(call);
        self.ringing.remove(&call)
    }

    /// The user started this call (it never rings here).
    pub fn calling(&mut self, call: Id, conversation: Id, room: &str) {
        self.conversations.insert(call, conversation);
        self.seen.insert(call);
        self.outgoing.insert(room.to_owned(), call);
    }

    /// The ringing call, or the user's own call, in a room.
    pub fn by_room(&self, room: &str) -> Option<Id> {
        self.ringing
            .iter()
            .find(|(_, r)| r.room_name == room)
            .map(|(id, _)| *id)
            .or_else(|| self.outgoing.get(room).copied())
    }

    /// Calls that rang longer than `limit`; they stop.
    pub fn expire(&mut self, limit: Duration) -> Vec<(Id, Ringing)> {
        let old: Vec<Id> = self
            .ringing
            .iter()
            .filter(|(_, r)| r.since.elapsed() >= limit)
            .map(|(id, _)| *id)
            .collect();
        let mut rang_out = Vec::with_capacity(old.len());
        for id in old {
            if let Some(r) = self.ringing.remove(&id) {
                self.ran_out
                    .insert(id, (r.conversation_id, r.room_name.clone(), Instant::now()));
                rang_out.push((id, r));
            }
        }
        rang_out
    }

    /// Whether a change of a call was reported already (and records it).
    pub fn first_report(&mut self, call: Id, change: CallChange) -> bool {
        if change != CallChange::StoppedRinging {
            self.ran_out.remove(&call);
        }
        self.reported.insert((call, change as u8))
    }

    /// The calls that rang out here still to follow (see `ran_out`); those followed longer
    /// than `limit` are let go (production keeps a call nobody marked ONGOING for ever).
    pub fn ran_out(&mut self, limit: Duration) -> Vec<(Id, Id, String)> {
        self.ran_out
            .retain(|_, (_, _, since)| since.elapsed() < limit);
        self.ran_out
            .iter()
            .map(|(id, (conversation, room, _))| (*id, *conversation, room.clone()))
            .collect()
    }

    /// Whether the call is known to be accepted, declined or over.
    pub fn settled(&self, call: Id) -> bool {
        [
            CallChange::Accepted,
            CallChange::Rejected,
            CallChange::HungUp,
            CallChange::Ended,
            CallChange::Missed,
        ]
        .iter()
        .any(|c| self.reported.contains(&(call, *c as u8)))
    }
}

/// The calls of a running client: its [`Board`] behind the few things the tasks do with it.
#[derive(Default)]
pub(crate) struct Ringer {
    board: Mutex<Board>,
    /// Wakes `call_flow::watch` when a race was lost.
    race: tokio::sync::Notify,
    /// Held while the user's call is being ended or checked for its end: one at a time, as
    /// production's `/end` is not idempotent.
    ending: tokio::sync::Mutex<()>,
}

impl Ringer {
    fn board(&self) -> std::sync::MutexGuard<'_, Board> {
        self.board.lock().expect("calls lock")
    }

    /// Waits for the ending lock (see `ending`).
    pub async fn ending(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.ending.lock().await
    }

    /// The ending lock, unless something holds it.
    pub fn try_ending(&self) -> Result<tokio::sync::MutexGuard<'_, ()>, tokio::sync::TryLockError> {
        self.ending.try_lock()
    }

    /// The call was dealt with here (or on another device); answers whether it was ringing.
    pub fn answered(&self, call: Id) -> bool {
        self.board().answered(call)
    }

    /// The ringing incoming call, or the user's own call, in a room.
    pub fn by_room(&self, room: &str) -> Option<Id> {
        self.board().by_room(room)
    }

    /// The calls ringing here now: (call, its ringing).
    pub fn ringing(&self) -> Vec<(Id, Ringing)> {
        let board = self.board();
        let mut now: Vec<_> = board
            .ringing
            .iter()
            .map(|(id, r)| (*id, r.clone()))
            .collect();
        now.sort_by_key(|(id, _)| *id);
        now
    }

    /// The user started this call.
    pub fn calling(&self, call: Id, conversation: Id, room: &str) {
        self.board().calling(call, conversation, room);
    }

    /// The conversation of a call seen in this run.
    pub fn conversation_of(&self, call: Id) -> Option<Id> {
        let board = self.board();
        board.conversations.get(&call).copied().or_else(|| {
            board
                .mine
                .as_ref()
                .filter(|m| m.call_id == call)
                .map(|m| m.conversation_id)
        })
    }

    /// Records a change of a call: `None` when it was reported already (reject and hang-up
    /// arrive up to three times), else the ringing it stopped, if the call rang here. Every
    /// change but `Accepted` stops its ringing.
    fn report(&self, call: Id, change: CallChange) -> Option<Option<Ringing>> {
        let mut board = self.board();
        if !board.first_report(call, change) {
            return None;
        }
        Some(if change != CallChange::Accepted {
            board.stop(call)
        } else {
            None
        })
    }

    /// Whether the call is known to be accepted, declined or over.
    pub fn settled(&self, call: Id) -> bool {
        self.board().settled(call)
    }

    /// Resolves when a call race was lost (see [`Ringer::take_race`]).
    pub async fn race_lost(&self) {
        self.race.notified().await;
    }

    /// The room of the other side's call to answer, once.
    pub fn take_race(&self) -> Option<String> {
        self.board().race_lost.take()
    }

    /// The user's call on this device.
    pub fn mine(&self) -> Option<CallNow> {
        self.board().mine.clone()
    }

    /// Replaces the user's call. Like every change below, it is then kept and told
    /// ([`Ringer::keep_mine`]): no caller has to remember to.
    pub fn set_mine(self: &Arc<Self>, shared: &Shared, mine: Option<CallNow>) {
        self.board().mine = mine;
        self.keep_mine(shared);
    }

    /// Makes `offer` (a call to rejoin) the user's call unless the user has a call here that
    /// is not itself an offer; answers whether it did.
    pub fn offer(self: &Arc<Self>, shared: &Shared, offer: CallNow) -> bool {
        {
            let mut board = self.board();
            if board
                .mine
                .as_ref()
                .is_some_and(|m| m.phase != Phase::Rejoin)
            {
                return false;
            }
            board.mine = Some(offer);
        }
        self.keep_mine(shared);
        true
    }

    /// Clears the user's call if it is `call`; answers whether it was.
    pub fn clear_mine(self: &Arc<Self>, shared: &Shared, call: Id) -> bool {
        {
            let mut board = self.board();
            if board.mine.as_ref().is_none_or(|m| m.call_id != call) {
                return false;
            }
            board.mine = None;
        }
        self.keep_mine(shared);
        true
    }

    /// Leaves the user's call here before the server has heard ([`Phase::HangingUp`]);
    /// answers whether `call` is the user's.
    pub fn hanging_up(self: &Arc<Self>, shared: &Shared, call: Id) -> bool {
        {
            let mut board = self.board();
            match board.mine.take() {
                Some(mine) if mine.call_id == call => board.mine = Some(mine.hanging_up()),
                other => {
                    board.mine = other;
                    return false;
                }
            }
        }
        self.keep_mine(shared);
        true
    }

    /// Tells the UI the user's call as it is now, and keeps it in the cache (without its
    /// token) for a rejoin after a restart: after every change above, and where the kept row
    /// must be rewritten though nothing changed here (a call kept from the last run found
    /// over). Writes whatever is current when the write runs, so writes racing each other
    /// still leave the newest.
    pub(crate) fn keep_mine(self: &Arc<Self>, shared: &Shared) {
        shared.events.send(Event::MyCall { call: self.mine() });
        let (cache, ringer) = (shared.cache.clone(), self.clone());
        shared.spawn(async move {
            let kept = ringer.mine().map(|m| m.to_kept());
            if let Err(e) = cache.call(move |c| c.set_my_call(kept.as_deref())).await {
                tracing::warn!(error = %e, "the current call was not kept");
            }
        });
    }

    /// Moves the user's call on by a change heard from the server (the other side answered,
    /// declined, hung up, or nobody answered); answers whether it moved. A change names its
    /// call, or only its conversation (production's broadcasts name no call).
    fn follow(&self, call: Option<Id>, conversation: Option<Id>, change: CallChange) -> bool {
        let mut board = self.board();
        let Some(mine) = &board.mine else {
            return false;
        };
        let about_mine = match call {
            Some(id) => id == mine.call_id,
            None => conversation == Some(mine.conversation_id),
        };
        if !about_mine {
            return false;
        }
        match change {
            CallChange::Accepted if mine.phase == Phase::RingingOut => {
                board.mine = Some(mine.clone().joined());
                true
            }
            CallChange::Rejected | CallChange::HungUp | CallChange::Ended | CallChange::Missed => {
                board.mine = None;
                true
            }
            _ => false,
        }
    }
}

/// Polls `/ongoing` while the server lacks userRing; also expires long ringing. Every
/// quarter of the ring time it asks the server for the conversation list too: a call in a
/// conversation started after the last sync (someone new wrote and called at once) rings
/// then, at most a quarter of its ring late, and the new conversation is synced.
pub(crate) async fn poll(shared: Arc<Shared>, ringer: Arc<Ringer>) {
    let base = shared.config.ring_poll;
    let list_every = (shared.config.ring_for.as_millis() / 4 / base.as_millis().max(1)).max(1);
    let mut polls: u128 = 0;
    let mut delay = base;
    loop {
        tokio::time::sleep(delay).await;
        expire(&shared, &ringer);
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
        delay = match poll_once(&shared, &ringer, ask_list).await {
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
    ringer: &Arc<Ringer>,
    ask_list: bool,
) -> Result<(), ClientError> {
    follow_ran_out(shared, ringer).await?;
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
        ring(
            shared,
            ringer,
            call.id,
            conversation,
            &call.room_name,
            call.started_by,
        );
    }
    Ok(())
}

/// Calls that rang out here: once the server has them settled (the caller's side marked it
/// missed, or ended it), that change is told and its notice fetched.
async fn follow_ran_out(shared: &Arc<Shared>, ringer: &Arc<Ringer>) -> Result<(), ClientError> {
    // The caller's side marks it after its own ring time and a poll: give it twice that.
    let limit = (shared.config.ring_for + shared.config.ring_poll) * 2;
    let followed = ringer.board().ran_out(limit);
    for (call, conversation, room) in followed {
        let now = shared.api.call_by_room(&room).await?;
        let change = match now.map(|f| f.call).filter(|c| c.id == call) {
            Some(c) if c.status == CallStatus::Ongoing => continue,
            Some(c) if c.status == CallStatus::Missed => CallChange::Missed,
            _ => CallChange::Ended,
        };
        changed(
            shared,
            ringer,
            Some(call),
            Some(conversation),
            change,
            None,
            None,
        );
    }
    Ok(())
}

/// Rings for a call unless it rang before or is the user's own.
pub(crate) fn ring(
    shared: &Arc<Shared>,
    ringer: &Ringer,
    call: Id,
    conversation: Id,
    room: &str,
    caller: Id,
) {
    if caller == shared.me {
        return;
    }
    let mut board = ringer.board();
    // Both called at once (production makes a call per start): this call never rings; the
    // older of the two is the one both sides end up in.
    if let Some(mine) = &board.mine
        && mine.phase == Phase::RingingOut
        && mine.conversation_id == conversation
        && mine.call_id != call
    {
        let mine = mine.call_id;
        board.seen.insert(call);
        if race(mine, call) == Race::TakeTheirs && board.race_lost.is_none() {
            tracing::info!(mine, theirs = call, "both called at once: answering theirs");
            board.race_lost = Some(room.to_owned());
            drop(board);
            ringer.race.notify_one();
        }
        return;
    }
    if board.settled(call) || !board.ring(call, conversation, room, caller) {
        return;
    }
    drop(board);
    tracing::info!(call, conversation, "incoming call");
    shared.events.send(Event::IncomingCall {
        call_id: call,
        conversation_id: conversation,
        room_name: room.to_owned(),
        caller_id: caller,
    });
    // Its `VIDEO_CALL_STARTED` notice.
    crate::sync::refresh_soon(shared, conversation);
}

fn expire(shared: &Arc<Shared>, ringer: &Arc<Ringer>) {
    let old = ringer.board().expire(shared.config.ring_for);
    for (call, ring) in old {
        let conversation = ring.conversation_id;
        missed(shared, call, &ring);
        changed(
            shared,
            ringer,
            Some(call),
            Some(conversation),
            CallChange::StoppedRinging,
            None,
            None,
        );
    }
}

/// Tells the UI a call changed, once per call and change (reject and hang-up arrive up to
/// three times); every change but `Accepted` also stops its ringing. A change that made the
/// server write a notice (joined, declined, ended, missed) fetches it into the thread. A
/// change naming no conversation (production's accept) gets its call's, when known here.
pub(crate) fn changed(
    shared: &Arc<Shared>,
    ringer: &Arc<Ringer>,
    call: Option<Id>,
    conversation: Option<Id>,
    change: CallChange,
    by: Option<Id>,
    duration: Option<i64>,
) {
    let rang_here = match call.map(|id| (id, ringer.report(id, change))) {
        Some((_, None)) => return,
        Some((id, Some(ring))) => ring.map(|r| (id, r)),
        None => None,
    };
    let conversation = conversation.or_else(|| call.and_then(|c| ringer.conversation_of(c)));
    // It rang here and stopped without the user: cancelled by the caller, marked missed, ended.
    let by_user = by == Some(shared.me);
    if let Some((id, ring)) = &rang_here
        && !by_user
        && matches!(
            change,
            CallChange::Missed
                | CallChange::StoppedRinging
                | CallChange::HungUp
                | CallChange::Ended
        )
    {
        missed(shared, *id, ring);
    }
    shared.events.send(Event::Call {
        call_id: call,
        conversation_id: conversation,
        change,
        by,
        duration,
    });
    if change != CallChange::StoppedRinging
        && let Some(conversation) = conversation
    {
        crate::sync::refresh_soon(shared, conversation);
    }
    if ringer.follow(call, conversation, change) {
        ringer.keep_mine(shared);
    }
}

/// A call that rang here went unanswered: the UI and the shell hear of it, and its chat's row
/// keeps a mark (in the cache, so it survives a restart) until the chat is opened — unless
/// that chat is on screen in a focused window, where the ring was seen.
fn missed(shared: &Arc<Shared>, call: Id, ring: &Ringing) {
    let conversation = ring.conversation_id;
    if shared.focused() && shared.open_conversation() == Some(conversation) {
        return;
    }
    let caller = ring.caller_id;
    shared.events.send(Event::MissedCall {
        call_id: call,
        conversation_id: conversation,
        caller_id: caller,
    });
    let task = shared.clone();
    shared.spawn(async move {
        let at = Timestamp::now();
        match task
            .cache
            .call(move |c| c.set_missed_call(conversation, call, caller, at))
            .await
        {
            Ok(()) => {
                crate::announce::row(&task, conversation).await;
            }
            Err(e) => tracing::warn!(error = %e, "missed-call mark not kept"),
        }
    });
}

/// As the caller on a server without a missed-call timer: marks the call missed when nobody
/// answered within `ring_for`.
pub(crate) fn watch_unanswered(shared: Arc<Shared>, ringer: Arc<Ringer>, call: VideoCall) {
    if shared.features().is_some_and(|f| f != Default::default()) {
        // The project's server ends unanswered calls by itself (Part B.8).
        return;
    }
    let task = shared.clone();
    shared.spawn(async move {
        let shared = task;
        // A polling callee may notice the call one poll late and ring for `ring_for` from
        // then: give it that long to answer.
        tokio::time::sleep(shared.config.ring_for + shared.config.ring_poll).await;
        if ringer.settled(call.id) {
            return;
        }
        match shared.api.ongoing_call(call.conversation_id).await {
            Ok(Some(now)) if now.id == call.id => {}
            _ => return,
        }
        // Production keeps an answered call ONGOING, and tells only the conversation's room:
        // its newest page holds the callee's `VIDEO_CALL_JOINED` since the call started.
        match joined(&shared, &call).await {
            Ok(Some(by)) => {
                changed(
                    &shared,
                    &ringer,
                    Some(call.id),
                    Some(call.conversation_id),
                    CallChange::Accepted,
                    Some(by),
                    None,
                );
                return;
            }
            Ok(None) => {}
            Err(e) => {
                // Unsure whether it was answered: never call an answered call missed.
                tracing::warn!(error = %e, "could not tell whether a call was answered");
                return;
            }
        }
        match shared.api.missed_call(call.id).await {
            Ok(c) => {
                let put = c.clone();
                let _ = shared.cache.call(move |k| k.put_calls(&[put])).await;
                changed(
                    &shared,
                    &ringer,
                    Some(call.id),
                    Some(call.conversation_id),
                    CallChange::Missed,
                    None,
                    None,
                );
            }
            Err(e) => tracing::warn!(error = %e, "unanswered call not marked missed"),
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_once_and_stops_when_answered() {
        let mut b = Board::default();
        assert!(b.ring(1, 3, "nursecare-3-aa", 2));
        assert!(!b.ring(1, 3, "nursecare-3-aa", 2), "a call rings once");
        assert_eq!(b.by_room("nursecare-3-aa"), Some(1));
        assert!(b.answered(1));
        assert!(!b.answered(1));
        assert!(
            !b.ring(1, 3, "nursecare-3-aa", 2),
            "an answered call never rings again"
        );
        assert!(b.first_report(1, CallChange::Rejected));
        assert!(
            !b.first_report(1, CallChange::Rejected),
            "duplicates are dropped"
        );
        assert!(b.settled(1));
        assert!(b.ring(2, 3, "nursecare-3-bb", 2));
        let rang_out = b.expire(Duration::ZERO);
        assert_eq!(
            rang_out
                .iter()
                .map(|(id, r)| (*id, r.conversation_id))
                .collect::<Vec<_>>(),
            vec![(2, 3)]
        );
        assert!(b.expire(Duration::ZERO).is_empty());
        // Rung out: followed until the server settles it, so its notice is fetched.
        let followed = b.ran_out(Duration::from_secs(60));
        assert_eq!(followed, vec![(2, 3, "nursecare-3-bb".to_owned())]);
        assert!(b.first_report(2, CallChange::StoppedRinging));
        assert_eq!(b.ran_out(Duration::from_secs(60)).len(), 1);
        assert!(b.first_report(2, CallChange::Missed));
        assert!(b.ran_out(Duration::from_secs(60)).is_empty());
    }
}
