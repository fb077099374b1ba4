//! One function per client event, called in arrival order by the socket's queue.
//!
//! Each answers as production does: a reply event to the sender, broadcasts to rooms. A refusal
//! (bad payload, not a participant) is an `exception {status: "error", message}` to the sender;
//! a storage failure of `sendMessage` is production's `error {message}`.
//!
//! Routing differs by mode. Production (compat): call events go to the conversation room only.
//! Extensions on (userRing, B.4): they go to every registered socket of every participant
//! except the emitting one, with `conversationId` (and `callId`) added.

use nursecare_wire::events::{client as cev, features, server as ev};
use nursecare_wire::socket::*;
use nursecare_wire::{CallStatus, Id, MessageType, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use socketioxide::extract::SocketRef;

use super::inbox::Received;
use super::routing::{conversation_room, emit_to, member_rooms, user_room};
use super::{RegisteredUser, TokenUser};
use crate::access;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{ConversationMembers, NewMessage};

/// Longest message, in Unicode scalar values (Part B.7).
pub const MAX_CONTENT_CHARS: usize = 10_000;
/// Longest `clientId` accepted.
const MAX_CLIENT_ID: usize = 100;
/// Most ids in one `getOnlineStatus`.
const MAX_STATUS_IDS: usize = 1000;

/// An emit with no arguments (`["event"]` on the wire), as production's bare `emit(name)`.
const NO_PAYLOAD: [(); 0] = [];

/// Runs the handler of one event and reports a refusal to the sender.
pub async fn dispatch(state: &AppState, socket: &SocketRef, received: Received) {
    let Received { event, data } = received;
    // Part B: a refused `sendMessage` names its clientId, read before the payload is parsed so
    // that even a payload refused for its shape is tied to the message (compat ignores it).
    let client_id = if event == cev::SEND_MESSAGE && state.extensions() {
        raw_client_id(data.as_ref())
    } else {
        None
    };
    if let Err(e) = handle(state, socket, &event, data).await {
        match &e {
            ApiError::Internal(err) => {
                tracing::error!(event = %event, error = %format!("{err:#}"), "socket handler failed");
            }
            other => tracing::debug!(event = %event, refusal = %other, "socket event refused"),
        }
        if event == cev::SEND_MESSAGE && matches!(e, ApiError::Internal(_)) {
            reply(
                socket,
                ev::ERROR,
                &SendFailed {
                    message: FAILED_TO_SEND.into(),
                },
            );
        } else {
            reply(
                socket,
                ev::EXCEPTION,
                &Exception::for_message(e.to_string(), client_id),
            );
        }
    }
}

/// The payload's `clientId`, when it is a string, whatever else the payload holds.
fn raw_client_id(data: Option<&Value>) -> Option<String> {
    data?.get("clientId")?.as_str().map(str::to_owned)
}

async fn handle(
    state: &AppState,
    socket: &SocketRef,
    event: &str,
    data: Option<Value>,
) -> ApiResult<()> {
    match event {
        cev::REGISTER => register(state, socket, parse(data)?).await,
        cev::SEND_MESSAGE => send_message(state, socket, parse(data)?).await,
        cev::JOIN_CONVERSATION => join(state, socket, parse(data)?).await,
        cev::LEAVE_CONVERSATION => leave(state, socket, parse(data)?).await,
        cev::TYPING => typing(state, socket, parse(data)?).await,
        cev::START_VIDEO_CALL => start_call(state, socket, parse(data)?).await,
        cev::ACCEPT_VIDEO_CALL => accept_call(state, socket, parse(data)?).await,
        cev::REJECT_VIDEO_CALL => {
            call_action(state, socket, parse(data)?, ev::VIDEO_CALL_REJECTED).await
        }
        cev::HANGUP_VIDEO_CALL => {
            call_action(state, socket, parse(data)?, ev::VIDEO_CALL_HUNG_UP).await
        }
        cev::END_VIDEO_CALL => end_call(state, socket, parse(data)?).await,
        cev::GET_ONLINE_STATUS => online_status(state, socket, parse(data)?).await,
        cev::HEARTBEAT => {
            reply(
                socket,
                ev::HEARTBEAT_ACK,
                &HeartbeatAck {
                    timestamp: Timestamp::now(),
                },
            );
            Ok(())
        }
        other => {
            tracing::debug!(event = %other.chars().take(40).collect::<String>(), "unknown event ignored");
            Ok(())
        }
    }
}

/// A payload of the expected shape, or a 400-style refusal naming what is wrong.
fn parse<T: DeserializeOwned>(data: Option<Value>) -> ApiResult<T> {
    let data = data.ok_or_else(|| ApiError::bad_request("Missing payload"))?;
    serde_json::from_value(data).map_err(|e| ApiError::bad_request(format!("Invalid payload: {e}")))
}

/// Emits to the sender only. A failure means the socket is gone; nothing to do.
fn reply<T: Serialize + ?Sized>(socket: &SocketRef, event: &str, data: &T) {
    if let Err(e) = socket.emit(event, data) {
        tracing::debug!(event, error = %e, "reply not sent");
    }
}

/// Broadcast, logging a failure: what it announces is stored already.
async fn broadcast<T: Serialize + ?Sized>(
    op: socketioxide::operators::BroadcastOperators,
    event: &str,
    data: &T,
) {
    if let Err(e) = op.emit(event, data).await {
        tracing::warn!(event, error = %e, "broadcast failed");
    }
}

/// Who is acting: the token's user (extensions on), else the payload's id as production
/// trusts it, else the id the socket registered with.
fn actor(state: &AppState, socket: &SocketRef, claimed: Option<Id>) -> ApiResult<Id> {
    if state.extensions() {
        return socket
            .extensions
            .get::<TokenUser>()
            .map(|t| t.id)
            .ok_or_else(ApiError::unauthorized);
    }
    claimed
        .or_else(|| socket.extensions.get::<RegisteredUser>().map(|r| r.0))
        .ok_or_else(|| ApiError::bad_request("userId is required"))
}

/// Sends to the participants' sockets except this one (userRing), or to the others in the
/// conversation room (production).
async fn ring<T: Serialize, U: Serialize>(
    state: &AppState,
    socket: &SocketRef,
    members: &ConversationMembers,
    event: &str,
    production: &T,
    extended: &U,
) {
    if state.extensions() {
        broadcast(socket.to(member_rooms(members)), event, extended).await;
    } else {
        broadcast(socket.to(conversation_room(members.id)), event, production).await;
    }
}

async fn register(state: &AppState, socket: &SocketRef, p: UserRef) -> ApiResult<()> {
    if let Some(token) = socket.extensions.get::<TokenUser>()
        && token.id != p.user_id
    {
        return Err(ApiError::Forbidden(
            "userId does not match the access token".into(),
        ));
    }
    let user = p.user_id;
    let known = state.store.users(&[user]).await?;
    if known.is_empty() {
        return Err(ApiError::NotFound(format!("User {user} not found")));
    }
    // Production lets a socket register again as someone else; move it cleanly.
    if let Some(RegisteredUser(previous)) = socket.extensions.get::<RegisteredUser>()
        && previous != user
    {
        socket.leave(user_room(previous));
        if state.presence.remove(previous, socket.id) {
            announce(state, previous, false).await?;
        }
    }
    socket.extensions.insert(RegisteredUser(user));
    socket.join(user_room(user));
    if state.presence.add(user, socket.id) {
        announce(state, user, true).await?;
    }
    let features = state
        .extensions()
        .then(|| features::ALL.iter().map(|f| f.to_string()).collect());
    reply(
        socket,
        ev::REGISTERED,
        &Registered {
            user_id: user,
            features,
        },
    );
    tracing::debug!(user, socket = %socket.id, "registered");
    Ok(())
}

/// Tells the users who share a conversation with `user` that it came or went.
async fn announce(state: &AppState, user: Id, online: bool) -> ApiResult<()> {
    let now = Timestamp::now();
    state.store.set_last_seen(user, now).await?;
    let peers = state.store.peers_of(user).await?;
    if peers.is_empty() {
        return Ok(());
    }
    let payload = UserStatusChanged {
        user_id: user,
        is_online: online,
        last_seen: Some(now),
    };
    let rooms = peers.into_iter().map(user_room).collect::<Vec<_>>();
    emit_to(state, rooms, ev::USER_STATUS_CHANGED, &payload).await;
    Ok(())
}

/// The socket closed: the user goes offline when it was their last one.
pub async fn disconnected(state: &AppState, socket: &SocketRef) {
    if let Some(RegisteredUser(user)) = socket.extensions.get::<RegisteredUser>()
        && state.presence.remove(user, socket.id)
        && let Err(e) = announce(state, user, false).await
    {
        tracing::warn!(user, error = %e, "offline announcement failed");
    }
}

async fn send_message(state: &AppState, socket: &SocketRef, p: SendMessage) -> ApiResult<()> {
    let sender = actor(state, socket, p.sender_id)?;
    if p.kind.is_some_and(|k| k != MessageType::Text) {
        return Err(ApiError::bad_request("Only TEXT messages can be sent"));
    }
    if p.content.trim().is_empty() {
        return Err(ApiError::bad_request("content must not be empty"));
    }
    if p.content.chars().count() > MAX_CONTENT_CHARS {
        return Err(ApiError::bad_request(format!(
            "content must be at most {MAX_CONTENT_CHARS} characters"
        )));
    }
    // Compat mode ignores clientId entirely: no echo, no de-duplication.
    let client_id = if state.extensions() {
        p.client_id
    } else {
        None
    };
    if let Some(key) = &client_id
        && (key.is_empty() || key.len() > MAX_CLIENT_ID)
    {
        return Err(ApiError::bad_request(format!(
            "clientId must be 1 to {MAX_CLIENT_ID} bytes"
        )));
    }
    let members = access::conversation(state, p.conversation_id, sender).await?;
    // Part B: compat mode ignores it, as production would.
    let urgent = state.extensions() && p.urgent == Some(true);
    let (message, fresh) = state
        .store
        .insert_message(NewMessage {
            conversation_id: members.id,
            sender_id: sender,
            content: p.content,
            kind: MessageType::Text,
            client_id,
            urgent,
            at: Timestamp::now(),
        })
        .await?;
    if fresh {
        tracing::debug!(
            message = message.id,
            conversation = members.id,
            "message stored"
        );
        // Every socket of every participant, the sender's own included.
        emit_to(state, member_rooms(&members), ev::NEW_MESSAGE, &message).await;
    } else {
        // A retry: answer with what is stored, to the retrying socket only.
        reply(socket, ev::NEW_MESSAGE, &message);
    }
    reply(socket, ev::MESSAGE_SENT, &message);
    Ok(())
}

async fn join(state: &AppState, socket: &SocketRef, p: ConversationRef) -> ApiResult<()> {
    let user = actor(state, socket, p.user_id)?;
    let members = access::conversation(state, p.conversation_id, user).await?;
    socket.join(conversation_room(members.id));
    // Joining marks the other party's messages read (production does so too).
    let changed = state.store.mark_read(members.id, user).await?;
    if changed > 0 {
        let read = MessagesRead {
            conversation_id: members.id,
            read_by: user,
            timestamp: Timestamp::now(),
        };
        ring(state, socket, &members, ev::MESSAGES_READ, &read, &read).await;
    }
    reply(
        socket,
        ev::JOINED_CONVERSATION,
        &ConversationAck {
            conversation_id: members.id,
        },
    );
    Ok(())
}

async fn leave(state: &AppState, socket: &SocketRef, p: ConversationRef) -> ApiResult<()> {
    match actor(state, socket, p.user_id) {
        Ok(user) => {
            access::conversation(state, p.conversation_id, user).await?;
        }
        // Production's web app leaves with `{conversationId}` alone, possibly before it has
        // registered, and production just leaves: leaving a room tells nothing and changes
        // nothing but this socket's own deliveries.
        Err(_) if !state.extensions() => {}
        Err(e) => return Err(e),
    }
    socket.leave(conversation_room(p.conversation_id));
    reply(
        socket,
        ev::LEFT_CONVERSATION,
        &ConversationAck {
            conversation_id: p.conversation_id,
        },
    );
    Ok(())
}

async fn typing(state: &AppState, socket: &SocketRef, p: Typing) -> ApiResult<()> {
    let user = actor(state, socket, p.user_id)?;
    let members = access::conversation(state, p.conversation_id, user).await?;
    let production = UserTyping {
        user_id: user,
        is_typing: p.is_typing,
        conversation_id: None,
    };
    let extended = UserTyping {
        conversation_id: Some(members.id),
        ..production.clone()
    };
    ring(
        state,
        socket,
        &members,
        ev::USER_TYPING,
        &production,
        &extended,
    )
    .await;
    Ok(())
}

/// With the extensions on, a call event must name a real call of that conversation.
async fn check_call(state: &AppState, conversation: Id, call: Id) -> ApiResult<()> {
    match state.store.call(call).await? {
        Some(r) if r.call.conversation_id == conversation => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "callId does not belong to this conversation",
        )),
        None => Err(ApiError::NotFound(format!("Video call {call} not found"))),
    }
}

/// With the extensions on, `startVideoCall` rings only for a call that is ringing: ONGOING,
/// started by this user, in this conversation, under this room name.
async fn check_ringing(
    state: &AppState,
    caller: Id,
    conversation: Id,
    p: &StartVideoCall,
) -> ApiResult<()> {
    let Some(record) = state.store.call(p.call_id).await? else {
        return Err(ApiError::NotFound(format!(
            "Video call {} not found",
            p.call_id
        )));
    };
    let call = &record.call;
    if call.conversation_id != conversation {
        return Err(ApiError::bad_request(
            "callId does not belong to this conversation",
        ));
    }
    if call.started_by != caller {
        return Err(ApiError::Forbidden(
            "Only the user who started a call rings for it".into(),
        ));
    }
    if call.room_name != p.room_name {
        return Err(ApiError::bad_request("roomName does not match the call"));
    }
    if call.status != CallStatus::Ongoing {
        return Err(crate::calls::not_ongoing(&record));
    }
    Ok(())
}

async fn start_call(state: &AppState, socket: &SocketRef, p: StartVideoCall) -> ApiResult<()> {
    let caller = actor(state, socket, p.user_id)?;
    let members = access::conversation(state, p.conversation_id, caller).await?;
    if state.extensions() {
        check_ringing(state, caller, members.id, &p).await?;
    }
    let incoming = IncomingVideoCall {
        room_name: p.room_name.clone(),
        caller_id: caller,
        call_id: p.call_id,
        conversation_id: members.id,
    };
    ring(
        state,
        socket,
        &members,
        ev::INCOMING_VIDEO_CALL,
        &incoming,
        &incoming,
    )
    .await;
    refresh(state, socket, &members).await;
    reply(
        socket,
        ev::VIDEO_CALL_STARTED,
        &RoomRef {
            room_name: p.room_name,
        },
    );
    Ok(())
}

/// `refreshMessages`: to the whole room without payload (production), or to the participants'
/// other sockets with `{conversationId}` (userRing).
async fn refresh(state: &AppState, socket: &SocketRef, members: &ConversationMembers) {
    if state.extensions() {
        let payload = RefreshMessages {
            conversation_id: members.id,
        };
        broadcast(
            socket.to(member_rooms(members)),
            ev::REFRESH_MESSAGES,
            &payload,
        )
        .await;
    } else {
        emit_to(
            state,
            vec![conversation_room(members.id)],
            ev::REFRESH_MESSAGES,
            &NO_PAYLOAD,
        )
        .await;
    }
}

async fn accept_call(state: &AppState, socket: &SocketRef, p: AcceptVideoCall) -> ApiResult<()> {
    let user = actor(state, socket, p.user_id)?;
    let members = access::conversation(state, p.conversation_id, user).await?;
    let mut call_id = None;
    if state.extensions() {
        match state.store.call_by_room(&p.room_name).await? {
            Some(r) if r.call.conversation_id == members.id => call_id = Some(r.call.id),
            _ => {
                return Err(ApiError::NotFound(
                    "Video call not found in this conversation".into(),
                ));
            }
        }
    }
    let production = VideoCallAccepted {
        room_name: p.room_name.clone(),
        user_id: Some(user),
        conversation_id: None,
        call_id: None,
    };
    let extended = VideoCallAccepted {
        conversation_id: Some(members.id),
        call_id,
        ..production.clone()
    };
    ring(
        state,
        socket,
        &members,
        ev::VIDEO_CALL_ACCEPTED,
        &production,
        &extended,
    )
    .await;
    reply(
        socket,
        ev::VIDEO_CALL_ACCEPTED,
        &RoomRef {
            room_name: p.room_name,
        },
    );
    Ok(())
}

/// `rejectVideoCall` and `hangupVideoCall`: the others hear it, the sender gets a direct copy
/// and then a reply with no payload (production: the sender, in the room, also hears the
/// broadcast).
async fn call_action(
    state: &AppState,
    socket: &SocketRef,
    p: CallAction,
    event: &'static str,
) -> ApiResult<()> {
    let user = actor(state, socket, p.user_id)?;
    let members = access::conversation(state, p.conversation_id, user).await?;
    let production = CallActionEvent {
        call_id: p.call_id,
        user_id: user,
        conversation_id: None,
    };
    if state.extensions() {
        check_call(state, members.id, p.call_id).await?;
        let extended = CallActionEvent {
            conversation_id: Some(members.id),
            ..production.clone()
        };
        broadcast(socket.to(member_rooms(&members)), event, &extended).await;
        reply(socket, event, &extended);
    } else {
        emit_to(
            state,
            vec![conversation_room(members.id)],
            event,
            &production,
        )
        .await;
        reply(socket, event, &production);
    }
    reply(socket, event, &NO_PAYLOAD);
    Ok(())
}

async fn end_call(state: &AppState, socket: &SocketRef, p: EndVideoCall) -> ApiResult<()> {
    let user = actor(state, socket, p.user_id)?;
    let members = access::conversation(state, p.conversation_id, user).await?;
    let production = VideoCallEnded {
        user_id: user,
        duration: p.duration,
        conversation_id: None,
        call_id: None,
    };
    // Part B: the call it ended, as named (it must be this conversation's), else the
    // conversation's newest call. Production names none.
    let call_id = match (state.extensions(), p.call_id) {
        (false, _) => None,
        (true, Some(named)) => {
            check_call(state, members.id, named).await?;
            Some(named)
        }
        (true, None) => state
            .store
            .calls_of(members.id)
            .await?
            .first()
            .map(|c| c.id),
    };
    let extended = VideoCallEnded {
        conversation_id: Some(members.id),
        call_id,
        ..production.clone()
    };
    ring(
        state,
        socket,
        &members,
        ev::VIDEO_CALL_ENDED,
        &production,
        &extended,
    )
    .await;
    reply(socket, ev::VIDEO_CALL_ENDED, &NO_PAYLOAD);
    Ok(())
}

async fn online_status(state: &AppState, socket: &SocketRef, p: GetOnlineStatus) -> ApiResult<()> {
    if p.user_ids.len() > MAX_STATUS_IDS {
        return Err(ApiError::bad_request(format!(
            "userIds must hold at most {MAX_STATUS_IDS} ids"
        )));
    }
    // With the extensions on, presence is told only about users one shares a conversation
    // with (and oneself): anyone else reads as unknown.
    let visible: Option<Vec<Id>> = if state.extensions() {
        let me = actor(state, socket, None)?;
        let mut v = state.store.peers_of(me).await?;
        v.push(me);
        Some(v)
    } else {
        None
    };
    let users = state.store.users(&p.user_ids).await?;
    let statuses: Vec<Option<OnlineStatus>> = p
        .user_ids
        .iter()
        .map(|id| {
            if visible.as_ref().is_some_and(|v| !v.contains(id)) {
                return None;
            }
            users.iter().find(|u| u.id == *id).map(|u| OnlineStatus {
                id: u.id,
                is_online: state.presence.is_online(u.id),
                last_seen: u.last_seen,
            })
        })
        .collect();
    reply(socket, ev::ONLINE_STATUSES, &statuses);
    if !state.extensions() {
        // Production answers twice.
        reply(socket, ev::ONLINE_STATUSES, &statuses);
    }
    Ok(())
}
