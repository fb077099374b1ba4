//! `/messaging/...`: conversations, history, read marks, unread count.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use nursecare_wire::rest::{CreateConversationRequest, UnreadCount};
use nursecare_wire::{Conversation, Id, Message, Timestamp};
use std::collections::HashMap;
use std::sync::Arc;

use super::extract::{ApiJson, ApiPath};
use crate::access;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::realtime::routing;
use crate::state::AppState;

/// The largest page a client may ask for.
const MAX_LIMIT: i64 = 1000;

pub async fn create_conversation(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiJson(req): ApiJson<CreateConversationRequest>,
) -> ApiResult<(StatusCode, Json<Conversation>)> {
    if req.other_user_id == me.id() {
        return Err(ApiError::bad_request("otherUserId must be another user"));
    }
    // Nothing is created (and no one is named) unless the pair may talk.
    access::counterpart(&state, me.id(), req.other_user_id).await?;
    let (conversation, created) = state
        .store
        .get_or_create_conversation(me.id(), req.other_user_id, req.booking_id, Timestamp::now())
        .await?;
    if created {
        tracing::info!(conversation = conversation.id, "conversation created");
    }
    Ok((StatusCode::CREATED, Json(conversation)))
}

pub async fn list_conversations(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
) -> ApiResult<Json<Vec<Conversation>>> {
    Ok(Json(state.store.conversations_of(me.id()).await?))
}

pub async fn messages(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(id): ApiPath<Id>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Vec<Message>>> {
    let limit = number_param(&query, "limit", 50, 0, MAX_LIMIT)?;
    let offset = number_param(&query, "offset", 0, 0, i64::MAX)?;
    access::conversation(&state, id, me.id()).await?;
    Ok(Json(state.store.messages(id, limit, offset).await?))
}

pub async fn mark_read(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
    ApiPath(id): ApiPath<Id>,
) -> ApiResult<impl IntoResponse> {
    let members = access::conversation(&state, id, me.id()).await?;
    let changed = state.store.mark_read(id, me.id()).await?;
    // Part B.6: production says nothing here; with readEvents every socket of every
    // participant hears it, so the reader's other devices clear their badges too.
    if state.extensions() && changed > 0 {
        routing::messages_read_to_members(&state, &members, me.id()).await;
    }
    // Production answers the count as plain text, typed text/html by Express.
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        changed.to_string(),
    ))
}

pub async fn unread_count(
    State(state): State<Arc<AppState>>,
    me: AuthUser,
) -> ApiResult<Json<UnreadCount>> {
    Ok(Json(UnreadCount {
        count: state.store.unread_count(me.id()).await?,
    }))
}

/// A numeric query parameter within bounds, or a 400 that names it.
fn number_param(
    query: &HashMap<String, String>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> ApiResult<i64> {
    let Some(raw) = query.get(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "{name} must be an integer from {min} to {max}"
        ))),
    }
}
