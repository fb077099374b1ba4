//! The user's call has one owner: this task. It holds the ring board ([`Board`]) and the
//! user's call ([`CallNow`]); it takes every command that may change them, one at a time: the
//! user's steps (start, accept, decline, hang up, end, rejoin), what the server said (a ring,
//! a change heard), the link coming up, the clock, and what a look-up found. It alone saves
//! the call and tells the UI ([`Owner::set_mine`]), and marks missed calls.
//!
//! One at a time, so two steps never race: production's `/end` is not idempotent, and a call
//! is never ended twice. The user's steps run their REST calls here in turn
//! ([`crate::call_steps`]). Look-ups that only check (is the call still on, how did it end,
//! did anyone answer, did a call that rang out settle) run beside the task and report back
//! as commands, weighed against the call as it is by then: a Hang up never waits behind them.

use crate::call_steps::{self, How, call_action, extensions, remember, tell};
use crate::error::ClientError;
use crate::events::{CallChange, Event};
use crate::my_call::{CallNow, Direction, Phase, Race, race};
use crate::ringing::{Board, Ringing};
use crate::shared::Shared;
use crate::socket::LinkState;
use nursecare_wire::events::client as cev;
use nursecare_wire::socket::{AcceptVideoCall, EndVideoCall, StartVideoCall};
use nursecare_wire::{CallStatus, Id, Timestamp, VideoCall, VideoCallWithUrl};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

type Reply<T> = oneshot::Sender<Result<T, ClientError>>;

/// An incoming call to ring for, heard from the server or found by a look-up.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    pub call: Id,
    pub conversation: Id,
    pub room: String,
    pub caller: Id,
}

/// A change of a call heard from the server. It names its call, or its room, or only its
/// conversation (production's broadcasts may name no call).
#[derive(Debug, Clone)]
pub(crate) struct Heard {
    pub call: Option<Id>,
    pub room: Option<String>,
    pub conversation: Option<Id>,
    pub change: CallChange,
    pub by: Option<Id>,
    pub duration: Option<i64>,
}

enum Command {
    Start(Id, Reply<VideoCallWithUrl>),
    Accept(String, Reply<VideoCallWithUrl>),
    Reject(Id, Reply<VideoCall>),
    /// `was_mine`: the call was the user's when asked (see [`Owner::still_to_end`]).
    HangUp(Id, bool, Reply<VideoCall>),
    End(Id, bool, Reply<VideoCall>),
    Rejoin(Reply<VideoCallWithUrl>),
    Ring(Ring),
    Heard(Heard),
    Found(Found),
}

/// What a look-up beside the task found.
enum Found {
    /// The call kept from the last run: whether the server still has it ONGOING.
    Kept(CallNow, Result<bool, ClientError>),
    /// The user's call looked up: `None` while it is on, else how it ended.
    Mine(CallNow, Result<Option<How>, ClientError>),
    /// The user's outgoing call has rung its time (and a poll) on a server without a
    /// missed-call timer.
    RangOut(VideoCall),
}

/// What the rest of the client reads of the calls. The owner publishes it after each change
/// and before the event that tells it, so a snapshot never misses a ring.
#[derive(Debug, Clone, Default, PartialEq)]
struct CallView {
    mine: Option<CallNow>,
    ringing: Vec<(Id, Ringing)>,
}

/// The way to the owner: commands in, what it published out.
#[derive(Clone)]
pub(crate) struct CallOwner {
    commands: mpsc::UnboundedSender<Command>,
    view: watch::Receiver<CallView>,
}

impl CallOwner {
    /// Starts the owner; its task is the caller's to keep (and abort).
    pub fn spawn(shared: Arc<Shared>) -> (Self, tokio::task::JoinHandle<()>) {
        let (commands, inbox) = mpsc::unbounded_channel();
        let (publish, view) = watch::channel(CallView::default());
        let owner = Owner {
            shared,
            board: Board::default(),
            mine: None,
            kept: None,
            view: publish,
            // Weak: the owner stops when every handle is gone, not kept alive by itself.
            to_self: commands.downgrade(),
            checked: None,
            looking: false,
        };
        let task = tokio::spawn(owner.run(inbox));
        (Self { commands, view }, task)
    }

    async fn ask<T>(&self, command: impl FnOnce(Reply<T>) -> Command) -> Result<T, ClientError> {
        let (reply, answer) = oneshot::channel();
        // The owner is gone only once the client has stopped: nothing is connected any more.
        self.commands
            .send(command(reply))
            .map_err(|_| ClientError::Offline)?;
        answer.await.map_err(|_| ClientError::Offline)?
    }

    fn is_mine(&self, call: Id) -> bool {
        self.mine().is_some_and(|m| m.call_id == call)
    }

    pub async fn start(&self, conversation: Id) -> Result<VideoCallWithUrl, ClientError> {
        self.ask(|r| Command::Start(conversation, r)).await
    }

    pub async fn accept(&self, room: &str) -> Result<VideoCallWithUrl, ClientError> {
        let room = room.to_owned();
        self.ask(|r| Command::Accept(room, r)).await
    }

    pub async fn reject(&self, call: Id) -> Result<VideoCall, ClientError> {
        self.ask(|r| Command::Reject(call, r)).await
    }

    pub async fn hang_up(&self, call: Id) -> Result<VideoCall, ClientError> {
        let was_mine = self.is_mine(call);
        self.ask(|r| Command::HangUp(call, was_mine, r)).await
    }

    pub async fn end(&self, call: Id) -> Result<VideoCall, ClientError> {
        let was_mine = self.is_mine(call);
        self.ask(|r| Command::End(call, was_mine, r)).await
    }

    pub async fn rejoin(&self) -> Result<VideoCallWithUrl, ClientError> {
        self.ask(Command::Rejoin).await
    }

    /// A call to ring for (it rings once, unless it is the user's or settled).
    pub fn ring(&self, ring: Ring) {
        let _ = self.commands.send(Command::Ring(ring));
    }

    /// A change of a call the server told.
    pub fn heard(&self, heard: Heard) {
        let _ = self.commands.send(Command::Heard(heard));
    }

    /// The user's call on this device, as last published.
    pub fn mine(&self) -> Option<CallNow> {
        self.view.borrow().mine.clone()
    }

    /// The calls ringing here, as last published.
    pub fn ringing(&self) -> Vec<(Id, Ringing)> {
        self.view.borrow().ringing.clone()
    }
}

struct Owner {
    shared: Arc<Shared>,
    board: Board,
    mine: Option<CallNow>,
    /// The call kept from the last run, offered for rejoining once the server says it is
    /// still ONGOING (never joined by itself).
    kept: Option<CallNow>,
    view: watch::Sender<CallView>,
    to_self: mpsc::WeakUnboundedSender<Command>,
    /// The connection the user's call was last checked on; `None`: check at the next tick.
    checked: Option<LinkState>,
    /// A look-up of the user's call is out (one at a time).
    looking: bool,
}

impl Owner {
    async fn run(mut self, mut inbox: mpsc::UnboundedReceiver<Command>) {
        self.load_kept().await;
        let mut link = self.shared.socket.state();
        let mut link_open = true;
        let mut tick = tokio::time::interval(self.shared.config.ring_poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let now = link.borrow_and_update().clone();
        self.connected(&now).await;
        loop {
            tokio::select! {
                command = inbox.recv() => match command {
                    Some(command) => self.on(command).await,
                    None => return,
                },
                changed = link.changed(), if link_open => {
                    link_open = changed.is_ok();
                    let now = link.borrow_and_update().clone();
                    self.connected(&now).await;
                }
                _ = tick.tick() => {
                    let now = link.borrow().clone();
                    self.tick(&now).await;
                }
            }
        }
    }

    async fn on(&mut self, command: Command) {
        match command {
            Command::Start(conversation, reply) => {
                let _ = reply.send(self.start(conversation).await);
            }
            Command::Accept(room, reply) => {
                let _ = reply.send(self.accept(&room).await);
            }
            Command::Reject(call, reply) => {
                let _ = reply.send(self.reject(call).await);
            }
            Command::HangUp(call, was_mine, reply) => {
                let done = match self.still_to_end(call, was_mine) {
                    Ok(()) => self.hang_up_now(call).await,
                    Err(e) => Err(e),
                };
                let _ = reply.send(done);
            }
            Command::End(call, was_mine, reply) => {
                let done = match self.still_to_end(call, was_mine) {
                    Ok(()) => self.end(call).await,
                    Err(e) => Err(e),
                };
                let _ = reply.send(done);
            }
            Command::Rejoin(reply) => {
                let _ = reply.send(self.rejoin().await);
            }
            Command::Ring(ring) => self.ring(ring).await,
            Command::Heard(heard) => self.heard(heard).await,
            Command::Found(found) => self.found(found).await,
        }
    }

    // ---- What the rest of the client sees: published, told, kept ----

    fn publish(&self) {
        let now = CallView {
            mine: self.mine.clone(),
            ringing: self.board.ringing(),
        };
        self.view.send_if_modified(|v| {
            let changed = *v != now;
            if changed {
                *v = now;
            }
            changed
        });
    }

    /// Replaces the user's call, and (the only place that does) tells the UI and keeps it in
    /// the cache, without its token, for a rejoin after a restart.
    async fn set_mine(&mut self, mine: Option<CallNow>) {
        self.mine = mine;
        self.tell_and_keep().await;
    }

    async fn tell_and_keep(&self) {
        self.publish();
        self.shared.events.send(Event::MyCall {
            call: self.mine.clone(),
        });
        let kept = self.mine.as_ref().map(|m| m.to_kept());
        if let Err(e) = self
            .shared
            .cache
            .call(move |c| c.set_my_call(kept.as_deref()))
            .await
        {
            tracing::warn!(error = %e, "the current call was not kept");
        }
    }

    /// Clears the user's call if it is `call`.
    async fn clear_mine(&mut self, call: Id) {
        if self.mine.as_ref().is_some_and(|m| m.call_id == call) {
            self.set_mine(None).await;
        }
    }

    /// Runs a look-up beside the task; what it answers comes back as a command.
    fn look<F, Fut>(&self, look_up: F)
    where
        F: FnOnce(Arc<Shared>) -> Fut + Send + 'static,
        Fut: Future<Output = Option<Command>> + Send + 'static,
    {
        let (shared, to_self) = (self.shared.clone(), self.to_self.clone());
        self.shared.spawn(async move {
            if let Some(command) = look_up(shared).await
                && let Some(owner) = to_self.upgrade()
            {
                let _ = owner.send(command);
            }
        });
    }

    // ---- The user's steps ----

    /// Starts a call in a conversation and rings the other side; answers the call the user
    /// is now in. When the other side called at the same moment, that call is answered
    /// instead (our server answers a start with the ONGOING call; on production the newest
    /// ONGOING call by the other side, started within the ring time, is taken).
    async fn start(&mut self, conversation: Id) -> Result<VideoCallWithUrl, ClientError> {
        if let Some(mine) = self.mine.clone() {
            match mine.phase {
                // Left offline: the server hears of it first (or this start fails as well).
                Phase::HangingUp => self.finish_hanging_up(&mine).await?,
                Phase::Rejoin if mine.conversation_id == conversation => {
                    return self.rejoin().await;
                }
                Phase::Rejoin => {}
                Phase::RingingOut | Phase::InCall => return Err(ClientError::InCall),
            }
        }
        let shared = self.shared.clone();
        if !extensions(&shared)
            && let Ok(Some(theirs)) = shared.api.ongoing_call(conversation).await
            && theirs.started_by != shared.me
            && Timestamp::now().millis() - theirs.started_at.millis()
                < shared.config.ring_for.as_millis() as i64
        {
            tracing::info!(call = theirs.id, "calling while called: answering theirs");
            return self.accept(&theirs.room_name).await;
        }
        let call = match shared.api.start_call(conversation).await {
            Ok(call) => call,
            // Our server (production never answers 409 here): an answered call is still
            // ONGOING in the conversation (another device's, or one nobody ended). It is
            // offered for rejoining (or ending), never ended by a start.
            Err(crate::api::ApiError::Rejected { status: 409, .. }) => {
                match self.offer_the_call_going_on(conversation).await {
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
            return self.accept(&call.call.room_name).await;
        }
        self.board.calling(
            call.call.id,
            call.call.conversation_id,
            &call.call.room_name,
        );
        remember(&shared, &call.call).await;
        self.set_mine(Some(CallNow::new(
            &call.call,
            Direction::Outgoing,
            Phase::RingingOut,
            call.jitsi_url.clone(),
            call.jitsi_jwt.clone(),
        )))
        .await;
        let payload = StartVideoCall {
            conversation_id: conversation,
            room_name: call.call.room_name.clone(),
            user_id: Some(shared.me),
            call_id: call.call.id,
        };
        // Not told, the call still exists: the callee's polling (or userRing on reconnect)
        // finds it.
        tell(&shared, cev::START_VIDEO_CALL, &payload).await;
        if !extensions(&shared) {
            self.after_the_ring_time(call.call.clone());
            self.look_for_a_crossed_call(call.call.clone());
        }
        Ok(call)
    }

    /// A start found an answered call still ONGOING in the conversation: it becomes the
    /// user's call as a rejoin offer (the call bar's *Rejoin* and *End call*) unless the user
    /// has a call here by now; answers why the start did not happen, or `None` when that
    /// call is over.
    async fn offer_the_call_going_on(&mut self, conversation: Id) -> Option<ClientError> {
        let shared = self.shared.clone();
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
        remember(&shared, &call).await;
        if self.mine.as_ref().is_none_or(|m| m.phase == Phase::Rejoin) {
            tracing::info!(
                call = call.id,
                "a call is still going in this conversation: offered"
            );
            let offer = CallNow::new(&call, direction, Phase::Rejoin, url, None);
            self.set_mine(Some(offer)).await;
        }
        Some(ClientError::CallGoingOn(call.id))
    }

    /// As the caller on a server without a missed-call timer (production keeps an
    /// unanswered call ONGOING for ever): once the ring time is over, the call is settled.
    fn after_the_ring_time(&self, call: VideoCall) {
        self.look(move |shared| async move {
            // A polling callee may notice the call one poll late and ring for `ring_for`
            // from then: give it that long to answer.
            tokio::time::sleep(shared.config.ring_for + shared.config.ring_poll).await;
            Some(Command::Found(Found::RangOut(call)))
        });
    }

    /// On a server that makes a call per start, the other side may have called at the same
    /// moment ([`call_steps::crossed_call`]): ringing their call settles the race.
    fn look_for_a_crossed_call(&self, mine: VideoCall) {
        self.look(move |shared| async move {
            // Let a start sent at the same moment land first.
            tokio::time::sleep(shared.config.ring_poll).await;
            let theirs = call_steps::crossed_call(&shared, &mine).await?;
            Some(Command::Ring(Ring {
                call: theirs.id,
                conversation: theirs.conversation_id,
                room: theirs.room_name,
                caller: theirs.started_by,
            }))
        });
    }

    /// Accepts a call by its room. A call the user was in (or ringing out) on this device is
    /// hung up once this one is accepted (the UI asks first): if accepting fails, the first
    /// call stays.
    async fn accept(&mut self, room: &str) -> Result<VideoCallWithUrl, ClientError> {
        // A call left offline is told first: accepting must not lose it.
        if let Some(left) = self
            .mine
            .clone()
            .filter(|m| m.room_name != room && m.phase == Phase::HangingUp)
        {
            self.finish_hanging_up(&left).await?;
        }
        let shared = self.shared.clone();
        let before = self.mine.clone().filter(|m| m.room_name != room);
        let call = shared.api.accept_call(room).await?;
        remember(&shared, &call.call).await;
        if self.board.answered(call.call.id) {
            // Answered here: it stops ringing (banners, notifications) `by` the user.
            self.changed(
                Some(call.call.id),
                Some(call.call.conversation_id),
                CallChange::StoppedRinging,
                Some(shared.me),
                None,
            )
            .await;
        }
        if let Some(old) = before
            && let Err(e) = self.hang_up_now(old.call_id).await
        {
            tracing::warn!(error = %e, call = old.call_id, "the earlier call was not hung up");
        }
        self.set_mine(Some(CallNow::new(
            &call.call,
            Direction::Incoming,
            Phase::InCall,
            call.jitsi_url.clone(),
            call.jitsi_jwt.clone(),
        )))
        .await;
        let payload = AcceptVideoCall {
            conversation_id: call.call.conversation_id,
            room_name: call.call.room_name.clone(),
            user_id: Some(shared.me),
        };
        tell(&shared, cev::ACCEPT_VIDEO_CALL, &payload).await;
        Ok(call)
    }

    /// Declines a ringing call.
    async fn reject(&mut self, call: Id) -> Result<VideoCall, ClientError> {
        let shared = self.shared.clone();
        let call = shared.api.reject_call(call).await?;
        remember(&shared, &call).await;
        self.board.answered(call.id);
        self.publish();
        call_action(&shared, cev::REJECT_VIDEO_CALL, &call).await;
        Ok(call)
    }

    /// A call that was the user's when the step was asked for and was settled meanwhile by
    /// something taken before it is not ended again (production's `/end` is not idempotent):
    /// over → [`ClientError::CallOver`]; left offline, its end still to be told →
    /// [`ClientError::HangUpPending`].
    fn still_to_end(&self, call: Id, was_mine: bool) -> Result<(), ClientError> {
        if !was_mine {
            return Ok(());
        }
        match &self.mine {
            Some(m) if m.call_id == call && m.phase == Phase::HangingUp => {
                Err(ClientError::HangUpPending)
            }
            Some(m) if m.call_id == call => Ok(()),
            _ => Err(ClientError::CallOver),
        }
    }

    /// Hangs up (the web client's way of ending: `/end`, then `hangupVideoCall`). The call is
    /// over for both sides.
    async fn hang_up_now(&mut self, call: Id) -> Result<VideoCall, ClientError> {
        let call = self.end_on_server(call).await?;
        call_action(&self.shared, cev::HANGUP_VIDEO_CALL, &call).await;
        Ok(call)
    }

    /// Ends a call for both sides (`/end`, then `endVideoCall` with its duration).
    async fn end(&mut self, call: Id) -> Result<VideoCall, ClientError> {
        let call = self.end_on_server(call).await?;
        let payload = EndVideoCall {
            conversation_id: call.conversation_id,
            user_id: Some(self.shared.me),
            duration: call.duration,
            // Part B; production ignores the extra field.
            call_id: Some(call.id),
        };
        tell(&self.shared, cev::END_VIDEO_CALL, &payload).await;
        Ok(call)
    }

    /// `/end`, and the call is no longer the user's; the socket event is the caller's to
    /// send. When the server cannot be reached, the user's call is left all the same
    /// ([`Phase::HangingUp`]: the window closes, the server is told on the next connection)
    /// and the answer is [`ClientError::HangUpPending`]; a refusal leaves everything as it was.
    async fn end_on_server(&mut self, call: Id) -> Result<VideoCall, ClientError> {
        let shared = self.shared.clone();
        let ended = match shared.api.end_call(call).await {
            Ok(ended) => ended,
            Err(e) if e.is_network() && self.mine.as_ref().is_some_and(|m| m.call_id == call) => {
                let left = self.mine.clone().map(CallNow::hanging_up);
                self.set_mine(left).await;
                tracing::info!(
                    call,
                    "hung up offline: the server is told on the next connection"
                );
                return Err(ClientError::HangUpPending);
            }
            Err(e) => return Err(e.into()),
        };
        remember(&shared, &ended).await;
        self.clear_mine(ended.id).await;
        Ok(ended)
    }

    /// Tells the server about a call the user left while it could not be reached. The call
    /// is looked up first: the other side has often ended it meanwhile (it is then let go,
    /// with how it ended), and production's `/end` is not idempotent (a second one rewrites
    /// the duration and adds a second notice; a first one may have landed before its answer
    /// was lost). Still unreachable, or the server failing: that error, and it stays to be
    /// told (the next tick, the next connection). Refused (not found, not the user's to
    /// end): nothing is left to tell, and it is let go.
    async fn finish_hanging_up(&mut self, left: &CallNow) -> Result<(), ClientError> {
        if self
            .mine
            .as_ref()
            .is_none_or(|m| m.call_id != left.call_id || m.phase != Phase::HangingUp)
        {
            return Ok(());
        }
        let shared = self.shared.clone();
        let ended = match call_steps::still_on(&shared, left).await {
            Ok(false) => {
                let how = call_steps::how_it_ended(&shared, left).await;
                self.settle_unheard(left, how).await;
                return Ok(());
            }
            Ok(true) => self.hang_up_now(left.call_id).await.map(|_| ()),
            Err(e) => Err(e),
        };
        match ended {
            Ok(()) => Ok(()),
            Err(e) if call_steps::refused(&e) => {
                tracing::warn!(error = %e, call = left.call_id, "the server refused to end a call left offline; let go");
                self.clear_mine(left.call_id).await;
                Ok(())
            }
            Err(ClientError::HangUpPending) => Err(ClientError::Offline),
            Err(e) => {
                tracing::debug!(error = %e, call = left.call_id, "a call left offline is still to be ended");
                Err(e)
            }
        }
    }

    /// Goes back into the call offered for rejoining. No `/accept` (it would write another
    /// SYSTEM message): our server's room lookup gives a participant the URL and a fresh
    /// token; production's gives neither, and the URL kept from before serves (it has no
    /// tokens).
    async fn rejoin(&mut self) -> Result<VideoCallWithUrl, ClientError> {
        let Some(offer) = self.mine.clone().filter(|m| m.phase == Phase::Rejoin) else {
            return Err(ClientError::CallOver);
        };
        let found = self.shared.api.call_by_room(&offer.room_name).await?;
        let Some(found) = found.filter(|f| f.call.status == CallStatus::Ongoing) else {
            self.clear_mine(offer.call_id).await;
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
        self.set_mine(Some(now)).await;
        Ok(answer)
    }

    // ---- What the server said ----

    /// Rings for a call unless it rang before, is settled, or is the user's own.
    async fn ring(&mut self, ring: Ring) {
        let me = self.shared.me;
        if ring.caller == me {
            return;
        }
        // Both called at once (production makes a call per start): this call never rings;
        // the older of the two is the one both sides end up in.
        if let Some(mine) = &self.mine
            && mine.phase == Phase::RingingOut
            && mine.conversation_id == ring.conversation
            && mine.call_id != ring.call
        {
            let mine = mine.call_id;
            self.board.ignore(ring.call);
            if race(mine, ring.call) == Race::TakeTheirs {
                tracing::info!(
                    mine,
                    theirs = ring.call,
                    "both called at once: answering theirs"
                );
                if let Err(e) = self.accept(&ring.room).await {
                    tracing::warn!(error = %e, "the other side's call could not be answered");
                }
            }
            return;
        }
        if self.board.settled(ring.call)
            || !self
                .board
                .ring(ring.call, ring.conversation, &ring.room, ring.caller)
        {
            return;
        }
        self.publish();
        tracing::info!(
            call = ring.call,
            conversation = ring.conversation,
            "incoming call"
        );
        self.shared.events.send(Event::IncomingCall {
            call_id: ring.call,
            conversation_id: ring.conversation,
            room_name: ring.room,
            caller_id: ring.caller,
        });
        // Its `VIDEO_CALL_STARTED` notice.
        crate::sync::refresh_soon(&self.shared, ring.conversation);
    }

    async fn heard(&mut self, heard: Heard) {
        let me = self.shared.me;
        let call = heard
            .call
            .or_else(|| heard.room.as_deref().and_then(|r| self.board.by_room(r)));
        if heard.change == CallChange::Accepted && heard.by == Some(me) {
            // Answered on another device: `by` the user, so dealt with, not missed (a ring
            // that ran out has none).
            if let Some(call) = call
                && self.board.answered(call)
            {
                self.publish();
                self.changed(
                    Some(call),
                    heard.conversation,
                    CallChange::StoppedRinging,
                    Some(me),
                    None,
                )
                .await;
            }
            return;
        }
        self.changed(
            call,
            heard.conversation,
            heard.change,
            heard.by,
            heard.duration,
        )
        .await;
    }

    /// Tells the UI a call changed, once per call and change (reject and hang-up arrive up
    /// to three times); every change but `Accepted` also stops its ringing. A change that
    /// made the server write a notice (joined, declined, ended, missed) fetches it into the
    /// thread. A change naming no conversation (production's accept) gets its call's, when
    /// known here. A change of the user's call moves it on.
    async fn changed(
        &mut self,
        call: Option<Id>,
        conversation: Option<Id>,
        change: CallChange,
        by: Option<Id>,
        duration: Option<i64>,
    ) {
        let rang_here = match call.map(|id| (id, self.board.report(id, change))) {
            Some((_, None)) => return,
            Some((id, Some(ring))) => ring.map(|r| (id, r)),
            None => None,
        };
        self.publish();
        let conversation = conversation.or_else(|| call.and_then(|c| self.conversation_of(c)));
        // It rang here and stopped without the user: cancelled by the caller, marked
        // missed, ended.
        if let Some((id, ring)) = &rang_here
            && by != Some(self.shared.me)
            && matches!(
                change,
                CallChange::Missed
                    | CallChange::StoppedRinging
                    | CallChange::HungUp
                    | CallChange::Ended
            )
        {
            self.missed(*id, ring).await;
        }
        self.shared.events.send(Event::Call {
            call_id: call,
            conversation_id: conversation,
            change,
            by,
            duration,
        });
        if change != CallChange::StoppedRinging
            && let Some(conversation) = conversation
        {
            crate::sync::refresh_soon(&self.shared, conversation);
        }
        if let Some(moved) = self.follow(call, conversation, change) {
            self.set_mine(moved).await;
        }
    }

    /// The user's call moved on by a change heard (the other side answered, declined, hung
    /// up, or nobody answered): `Some(what it is now)`, or `None` when not moved.
    fn follow(
        &self,
        call: Option<Id>,
        conversation: Option<Id>,
        change: CallChange,
    ) -> Option<Option<CallNow>> {
        let mine = self.mine.as_ref()?;
        let about_mine = match call {
            Some(id) => id == mine.call_id,
            None => conversation == Some(mine.conversation_id),
        };
        if !about_mine {
            return None;
        }
        match change {
            CallChange::Accepted if mine.phase == Phase::RingingOut => {
                Some(Some(mine.clone().joined()))
            }
            CallChange::Rejected | CallChange::HungUp | CallChange::Ended | CallChange::Missed => {
                Some(None)
            }
            _ => None,
        }
    }

    /// The conversation of a call seen in this run, or of the user's call.
    fn conversation_of(&self, call: Id) -> Option<Id> {
        self.board.conversation_of(call).or_else(|| {
            self.mine
                .as_ref()
                .filter(|m| m.call_id == call)
                .map(|m| m.conversation_id)
        })
    }

    /// A call that rang here went unanswered: the UI and the shell hear of it, and its chat's
    /// row keeps a mark (in the cache, so it survives a restart) until the chat is opened —
    /// unless that chat is on screen in a focused window, where the ring was seen.
    async fn missed(&self, call: Id, ring: &Ringing) {
        let shared = &self.shared;
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
        let at = Timestamp::now();
        match shared
            .cache
            .call(move |c| c.set_missed_call(conversation, call, caller, at))
            .await
        {
            Ok(()) => {
                crate::announce::row(shared, conversation).await;
            }
            Err(e) => tracing::warn!(error = %e, "missed-call mark not kept"),
        }
    }

    /// The user's call ended unheard (while the link was down, outside the chat's room on
    /// production, or while it was left offline): tells how, and clears it.
    async fn settle_unheard(&mut self, mine: &CallNow, (change, duration, last): How) {
        if let Some(c) = last {
            remember(&self.shared, &c).await;
        }
        tracing::info!(call = mine.call_id, "the call ended unheard");
        self.changed(
            Some(mine.call_id),
            Some(mine.conversation_id),
            change,
            None,
            duration,
        )
        .await;
        // `changed` clears it unless that change was reported before.
        self.clear_mine(mine.call_id).await;
    }

    // ---- The link, the clock, and what look-ups found ----

    /// At start: a call left offline in the last run shows as hanging up from the start (the
    /// next check tells the server); any other kept call waits for the server to say it is
    /// still on.
    async fn load_kept(&mut self) {
        let kept = match self.shared.cache.call(|c| c.my_call()).await {
            Ok(json) => json.and_then(|j| CallNow::from_kept(&j)),
            Err(e) => {
                tracing::warn!(error = %e, "the kept call could not be read");
                None
            }
        };
        match kept {
            Some(left) if left.phase == Phase::HangingUp => self.set_mine(Some(left)).await,
            other => self.kept = other,
        }
    }

    /// After every (re)connect: offers the kept call for rejoining if it is still ONGOING,
    /// and settles the user's call if it ended while the link was down.
    async fn connected(&mut self, now: &LinkState) {
        if !matches!(now, LinkState::Online { .. }) || self.checked.as_ref() == Some(now) {
            return;
        }
        self.checked = Some(now.clone());
        if let Some(offer) = self.kept.take() {
            self.look(move |shared| async move {
                let on = call_steps::still_on(&shared, &offer).await;
                Some(Command::Found(Found::Kept(offer, on)))
            });
        }
        let Some(mine) = self.mine.clone().filter(|m| m.phase != Phase::Rejoin) else {
            return;
        };
        if mine.phase == Phase::HangingUp {
            // Failures keep it to tell at the next tick.
            let _ = self.finish_hanging_up(&mine).await;
            return;
        }
        self.look_up_mine(mine);
    }

    fn look_up_mine(&mut self, mine: CallNow) {
        if std::mem::replace(&mut self.looking, true) {
            return;
        }
        self.look(move |shared| async move {
            let over = call_steps::over(&shared, &mine).await;
            Some(Command::Found(Found::Mine(mine, over)))
        });
    }

    /// Every `ring_poll`: long ringing stops; and while online, a check that failed is tried
    /// again, calls that rang out are followed, and the user's call followed up.
    async fn tick(&mut self, now: &LinkState) {
        for (call, ring) in self.board.expire(self.shared.config.ring_for) {
            self.publish();
            self.missed(call, &ring).await;
            self.changed(
                Some(call),
                Some(ring.conversation_id),
                CallChange::StoppedRinging,
                None,
                None,
            )
            .await;
        }
        if !matches!(now, LinkState::Online { .. }) {
            return;
        }
        if self.checked.is_none() {
            self.connected(now).await;
        }
        let polling = self.shared.features().is_some_and(|f| !f.user_ring);
        if polling {
            self.follow_ran_out();
        }
        self.follow_up(polling).await;
    }

    /// Calls that rang out here on a server without a missed-call timer: once the server has
    /// them settled (the caller's side marked it missed, or ended it), that change is told
    /// and its notice fetched.
    fn follow_ran_out(&mut self) {
        // The caller's side marks it after its own ring time and a poll: give it twice that.
        let limit = (self.shared.config.ring_for + self.shared.config.ring_poll) * 2;
        for (call, conversation, room) in self.board.ran_out(limit) {
            self.look(move |shared| async move {
                let change = match call_steps::settled_since(&shared, call, &room).await {
                    Ok(change) => change?,
                    Err(e) => {
                        tracing::debug!(error = %e, "a call that rang out was not looked up");
                        return None;
                    }
                };
                Some(Command::Heard(Heard {
                    call: Some(call),
                    room: None,
                    conversation: Some(conversation),
                    change,
                    by: None,
                    duration: None,
                }))
            });
        }
    }

    /// A call left offline is ended on the server (its first `/end` may have timed out with
    /// the link still up); and while polling (production), whose call events reach only the
    /// chat's room, joined only while that chat is open (joining marks messages read), the
    /// user's call is looked up and an end found is told like one heard.
    async fn follow_up(&mut self, polling: bool) {
        let Some(mine) = self.mine.clone() else {
            return;
        };
        if mine.phase == Phase::HangingUp {
            // Failures keep it for the next round.
            let _ = self.finish_hanging_up(&mine).await;
            return;
        }
        if polling && matches!(mine.phase, Phase::RingingOut | Phase::InCall) {
            self.look_up_mine(mine);
        }
    }

    async fn found(&mut self, found: Found) {
        match found {
            Found::Kept(offer, Ok(true)) => {
                if self.mine.is_none() {
                    tracing::info!(call = offer.call_id, "offering to rejoin a call");
                    self.set_mine(Some(CallNow {
                        phase: Phase::Rejoin,
                        in_call_since: None,
                        ..offer
                    }))
                    .await;
                }
            }
            // Over while the app was closed: the kept row is rewritten with what is current.
            Found::Kept(_, Ok(false)) => self.tell_and_keep().await,
            Found::Kept(offer, Err(e)) => {
                tracing::debug!(error = %e, "the kept call could not be checked");
                self.kept = Some(offer);
                self.checked = None;
            }
            Found::Mine(looked, over) => {
                self.looking = false;
                match over {
                    Ok(None) => {}
                    Ok(Some(how)) => {
                        // Only if it is still that call, ringing out or in it: a Hang up
                        // taken meanwhile settled it already.
                        let same = self.mine.as_ref().is_some_and(|m| {
                            m.call_id == looked.call_id
                                && matches!(m.phase, Phase::RingingOut | Phase::InCall)
                        });
                        if same {
                            self.settle_unheard(&looked, how).await;
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "call check failed");
                        self.checked = None;
                    }
                }
            }
            Found::RangOut(call) => {
                if self.board.settled(call.id) {
                    return;
                }
                self.look(move |shared| async move {
                    let (change, by) = call_steps::settle_unanswered(&shared, &call).await?;
                    Some(Command::Heard(Heard {
                        call: Some(call.id),
                        room: None,
                        conversation: Some(call.conversation_id),
                        change,
                        by,
                        duration: None,
                    }))
                });
            }
        }
    }
}
