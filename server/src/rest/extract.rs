//! Extractors whose refusals are NestJS-shaped 4xx answers (Part B.7).
//!
//! axum's own `Json` and `Path` answer plain text; clients expect `{statusCode, message, error}`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `Json<T>` with contract-shaped errors.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(refusal(rejection)),
        }
    }
}

fn refusal(rejection: JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge;
    }
    let message = match &rejection {
        JsonRejection::JsonDataError(e) => {
            // serde's text names the field and the expected type; the body is not echoed.
            format!(
                "Invalid request body: {}",
                e.body_text().trim_start_matches(
                    "Failed to deserialize the JSON body into the target type: "
                )
            )
        }
        JsonRejection::JsonSyntaxError(_) => "Request body is not valid JSON".to_owned(),
        JsonRejection::MissingJsonContentType(_) => {
            "Expected a request with Content-Type: application/json".to_owned()
        }
        other => other.body_text(),
    };
    ApiError::bad_request(message)
}

/// `Path<T>` with contract-shaped errors: a non-numeric id is a 400 (production: 500).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(_) => Err(ApiError::bad_request(
                "Invalid id in the path: expected an integer",
            )),
        }
    }
}
