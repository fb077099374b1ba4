//! Who hears what: room names and the emits that start outside a socket handler.
//!
//! Two kinds of rooms: `user_<id>` holds every registered socket of a user (production's
//! user → sockets map), `conversation_<id>` the sockets that joined that conversation.
//! Part B's userRing sends to the user rooms of every participant instead of the
//! conversation room, so a call rings wherever the callee is signed in.

use nursecare_wire::events::server as ev;
use nursecare_wire::socket::{MessagesRead, RefreshMessages, VideoCallMissed};
use nursecare_wire::{Id, Timestamp};
use serde::Serialize;

use crate::state::AppState;
use crate::store::ConversationMembers;

/// The room of every registered socket of `user`.
pub fn user_room(user: Id) -> String {
    format!("user_{user}")
}

/// The room of a conversation (sockets that sent `joinConversation`).
pub fn conversation_room(conversation: Id) -> String {
    format!("conversation_{conversation}")
}

/// The user rooms of every participant.
pub fn member_rooms(members: &ConversationMembers) -> Vec<String> {
    members.user_ids.iter().copied().map(user_room).collect()
}

/// Emits to rooms through the `io` handle, logging (not failing) on a broadcast error: the
/// data is stored already, and a client that missed it re-fetches on reconnect. Once shutdown
/// has closed the namespace there is nobody to tell (and `io.to` would panic then).
pub async fn emit_to<T: Serialize + ?Sized>(
    state: &AppState,
    rooms: Vec<String>,
    event: &str,
    data: &T,
) {
    let Some(root) = state.io.of("/") else {
        return;
    };
    if let Err(e) = root.to(rooms).emit(event, data).await {
        tracing::warn!(event, error = %e, "broadcast failed");
    }
}

/// `messagesRead` to every socket of every participant (Part B.6, REST read).
pub async fn messages_read_to_members(state: &AppState, members: &ConversationMembers, reader: Id) {
    let payload = MessagesRead {
        conversation_id: members.id,
        read_by: reader,
        timestamp: Timestamp::now(),
    };
    emit_to(state, member_rooms(members), ev::MESSAGES_READ, &payload).await;
}

/// `videoCallMissed` and `refreshMessages` to the participants (Part B.8).
pub async fn call_missed(state: &AppState, members: &ConversationMembers, call: Id) {
    let rooms = member_rooms(members);
    let missed = VideoCallMissed {
        call_id: call,
        conversation_id: members.id,
    };
    emit_to(state, rooms.clone(), ev::VIDEO_CALL_MISSED, &missed).await;
    let refresh = RefreshMessages {
        conversation_id: members.id,
    };
    emit_to(state, rooms, ev::REFRESH_MESSAGES, &refresh).await;
}
