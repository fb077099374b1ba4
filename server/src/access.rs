//! Membership checks (Part B.2), shared by REST and the socket.
//!
//! Kept in compat mode too: a well-formed production client never meets them.

use nursecare_wire::Id;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{CallRecord, ConversationMembers};

/// The conversation's members, if `user` is one of them: 404 when it does not exist, 403 when
/// the user is not a participant.
pub async fn conversation(state: &AppState, id: Id, user: Id) -> ApiResult<ConversationMembers> {
    let members = state
        .store
        .members(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Conversation {id} not found")))?;
    if !members.has(user) {
        return Err(ApiError::not_a_participant());
    }
    Ok(members)
}

/// A call and its conversation's members, if `user` takes part: 404 / 403 as above.
pub async fn call(
    state: &AppState,
    id: Id,
    user: Id,
) -> ApiResult<(CallRecord, ConversationMembers)> {
    let record = state
        .store
        .call(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Video call {id} not found")))?;
    let members = conversation(state, record.call.conversation_id, user).await?;
    Ok((record, members))
}
