//! How a failed request is answered: a status and an [`ErrorBody`].

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use enlace_shared::api::ErrorBody;
use enlace_shared::refusal::Refusal;

use crate::accounts::ServiceError;
use crate::storage::AccountError;

/// A failed request: its status, its body, and when to retry (throttling).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    /// An error with an English sentence and no refusal code.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: message.into(),
                refusal: None,
            },
            retry_after_seconds: None,
        }
    }

    /// 401: no credential, or one that is not valid.
    pub fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 403 for something the caller's role does not allow, with its code.
    pub fn refused(refusal: Refusal) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            body: ErrorBody::from(refusal),
            retry_after_seconds: None,
        }
    }

    /// 429 with `Retry-After`.
    pub fn throttled(message: &str, retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, message)
        }
    }

    /// 503 with `Retry-After`: the server is busy with work of this kind.
    pub fn busy(message: &str, retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
        }
    }

    /// 500: logged here, with no detail for the caller.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(message) => Self::new(StatusCode::BAD_REQUEST, message),
            ServiceError::Account(AccountError::EmailTaken(email)) => Self::new(
                StatusCode::CONFLICT,
                format!("an account with email {email} already exists"),
            ),
            ServiceError::Account(AccountError::NoSuchUser(_)) => {
                Self::new(StatusCode::NOT_FOUND, "no such person")
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(error: ApiError) -> (StatusCode, Option<HeaderValue>, ErrorBody) {
        let response = error.into_response();
        let status = response.status();
        let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .expect("a small body");
        (
            status,
            retry_after,
            serde_json::from_slice(&bytes).expect("an error body"),
        )
    }

    #[tokio::test]
    async fn a_refusal_answers_403_with_its_code() {
        let (status, _, body) = answer(ApiError::refused(Refusal::ManagePeople)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body.refusal(), Some(Refusal::ManagePeople));
        assert_eq!(body.error, Refusal::ManagePeople.to_string());
    }

    #[tokio::test]
    async fn throttling_says_when_to_retry() {
        let (status, retry_after, body) = answer(ApiError::throttled("too many", 42)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after, Some(HeaderValue::from(42u64)));
        assert_eq!((body.error.as_str(), body.refusal), ("too many", None));
    }

    #[tokio::test]
    async fn service_errors_map_to_statuses() {
        let (status, _, body) = answer(ServiceError::Invalid("no".into()).into()).await;
        assert_eq!((status, body.error.as_str()), (StatusCode::BAD_REQUEST, "no"));
        let taken = ServiceError::Account(AccountError::EmailTaken("a@b.c".into()));
        assert_eq!(answer(taken.into()).await.0, StatusCode::CONFLICT);
        let missing = ServiceError::Account(AccountError::NoSuchUser("u".into()));
        assert_eq!(answer(missing.into()).await.0, StatusCode::NOT_FOUND);
    }
}
