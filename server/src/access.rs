//! Membership checks (Part B.2), shared by REST and the socket, and who may open a
//! conversation with whom.
//!
//! Kept in compat mode too: a well-formed production client never meets them.

use nursecare_wire::{Id, Role};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{CallRecord, ConversationMembers, UserRecord};

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

/// Who may open a conversation with whom. A PATIENT talks to the clinic's staff (NURSE, ADMIN),
/// never to another patient: patients do not know each other through the clinic, and allowing
/// it would let any account list every patient. Staff may open one with anyone: nurse ↔ patient
/// is the service, nurse ↔ nurse is a hand-over between colleagues, and an ADMIN answers anyone.
pub fn may_open(me: Role, other: Role) -> bool {
    !(me == Role::Patient && other == Role::Patient)
}

/// The user `me` wants a conversation with, if `me` may have one with them. An unknown id and
/// a refused pair answer the very same 404, so the answer names no one and does not tell
/// whether the account exists.
pub async fn counterpart(state: &AppState, me: Id, other: Id) -> ApiResult<UserRecord> {
    let users = state.store.users(&[me, other]).await?;
    let role_of = |id: Id| users.iter().find(|u| u.id == id).map(|u| u.role);
    match (role_of(me), role_of(other)) {
        (Some(mine), Some(theirs)) if may_open(mine, theirs) => users
            .into_iter()
            .find(|u| u.id == other)
            .ok_or_else(user_not_found),
        _ => Err(user_not_found()),
    }
}

/// The one answer to an unknown or refused `otherUserId`.
fn user_not_found() -> ApiError {
    ApiError::NotFound("User not found".into())
}

#[cfg(test)]
mod tests {
    use super::may_open;
    use nursecare_wire::Role::{Admin, Nurse, Patient};

    #[test]
    fn patients_talk_to_staff_only() {
        assert!(!may_open(Patient, Patient));
        for (a, b) in [
            (Patient, Nurse),
            (Patient, Admin),
            (Nurse, Patient),
            (Nurse, Nurse),
            (Nurse, Admin),
            (Admin, Patient),
            (Admin, Nurse),
            (Admin, Admin),
        ] {
            assert!(may_open(a, b), "{a:?} -> {b:?}");
        }
    }
}
