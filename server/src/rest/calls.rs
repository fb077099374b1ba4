//! `/video-calls/...`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use nursecare_wire::rest::{AcceptCallRequest, StartCallRequest};
use nursecare_wire::{CallStatus, Id, VideoCall, VideoCallWithConversation, VideoCallWithUrl};
use std::sync::Arc;

use super::extract::{ApiJson, ApiPath};
use crate::access;
use crate::auth::AuthUser;
use crate::calls::{self, Ending};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn start(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiJson(req): ApiJson<StartCallRequest>,
) -> ApiResult<(StatusCode, Json<VideoCallWithUrl>)> {
    let record = calls::start(&state, me.id(), req.conversation_id).await?;
    let call = calls::with_url(&state, record, me.id()).await?;
    Ok((StatusCode::CREATED, Json(call)))
}

pub async fn accept(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiJson(req): ApiJson<AcceptCallRequest>,
) -> ApiResult<(StatusCode, Json<VideoCallWithUrl>)> {
    let record = calls::accept(&state, me.id(), &req.room_name).await?;
    let call = calls::with_url(&state, record, me.id()).await?;
    Ok((StatusCode::CREATED, Json(call)))
}

pub async fn reject(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(id): ApiPath<Id>,
) -> ApiResult<Json<VideoCall>> {
    Ok(Json(
        calls::finish(&state, me.id(), id, Ending::Reject)
            .await?
            .call,
    ))
}

pub async fn missed(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(id): ApiPath<Id>,
) -> ApiResult<Json<VideoCall>> {
    Ok(Json(
        calls::finish(&state, me.id(), id, Ending::Missed)
            .await?
            .call,
    ))
}

pub async fn end(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(id): ApiPath<Id>,
) -> ApiResult<Json<VideoCall>> {
    Ok(Json(
        calls::finish(&state, me.id(), id, Ending::End).await?.call,
    ))
}

/// The call with its conversation, or 200 with an empty body for an unknown room (as
/// production answers a handler that returns nothing). With the extensions on, the caller of
/// an ONGOING call, and its callee once it was answered, also get its `jitsiUrl` and a fresh
/// token: what a rejoin needs, without a second `/accept` (which would write another SYSTEM
/// message). A callee who has not answered gets neither: answering is `/accept`.
pub async fn by_room(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(room_name): ApiPath<String>,
) -> ApiResult<Response> {
    let Some(record) = state.store.call_by_room(&room_name).await? else {
        return Ok(StatusCode::OK.into_response());
    };
    let conversation_id = record.call.conversation_id;
    access::conversation(&state, conversation_id, me.id()).await?;
    let conversation = state
        .store
        .conversation_with_participants(conversation_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Conversation {conversation_id} not found")))?;
    let admitted = record.call.started_by == me.id() || record.answered_at.is_some();
    let (jitsi_url, jitsi_jwt) =
        if state.extensions() && record.call.status == CallStatus::Ongoing && admitted {
            let (url, token) = calls::room_pass(&state, &room_name, me.id()).await?;
            (Some(url), token)
        } else {
            (None, None)
        };
    Ok(Json(VideoCallWithConversation {
        call: record.call,
        conversation,
        jitsi_url,
        jitsi_jwt,
    })
    .into_response())
}

pub async fn history(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(id): ApiPath<Id>,
) -> ApiResult<Json<Vec<VideoCall>>> {
    access::conversation(&state, id, me.id()).await?;
    Ok(Json(state.store.calls_of(id).await?))
}

/// The ONGOING call, or 200 with an empty body.
pub async fn ongoing(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(id): ApiPath<Id>,
) -> ApiResult<Response> {
    access::conversation(&state, id, me.id()).await?;
    Ok(match state.store.ongoing_call(id).await? {
        Some(call) => Json(call).into_response(),
        None => StatusCode::OK.into_response(),
    })
}
