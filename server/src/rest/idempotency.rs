//! The `Idempotency-Key` middleware of the API's `POST`s: a retry of a request that already ran
//! gets the first answer again (`Idempotent-Replayed: true`) instead of doing the work twice. The
//! rules (scopes, fingerprints, waiting, what is kept, sealing) are the idempotency service's; this
//! only moves bodies in and out.

use app::server::{
    service::{Begun, IdempotentRequest, ServiceError, Services},
    store::StoreError,
};
use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::error::ApiError;
use crate::limits::MAX_BODY_BYTES;

/// The largest response kept for replay (far beyond any answer of a `POST`).
const MAX_KEPT_RESPONSE: usize = 16 * 1024 * 1024;

/// Runs a `POST` carrying `Idempotency-Key` (the `guard` middleware sends only those here).
pub async fn run(services: &Services, request: Request, next: Next) -> Response {
    let Some(key) = request.headers().get("idempotency-key") else {
        return next.run(request).await;
    };
    let key = String::from_utf8_lossy(key.as_bytes()).into_owned();
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return ApiError(ServiceError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            })
            .into_response();
        }
    };
    let path = parts.uri.path().as_bytes();
    let query = parts.uri.query().unwrap_or_default().as_bytes();
    // The caller: its token, or for a public endpoint the capability its path and body carry.
    let credential = match parts.headers.get(header::AUTHORIZATION) {
        Some(value) => value.as_bytes().to_vec(),
        None => [path, b"\n", &body].concat(),
    };
    let method = parts.method.as_str().as_bytes();
    let idempotent = match IdempotentRequest::new(&key, &credential, &[method, path, query, &body])
    {
        Ok(idempotent) => idempotent,
        Err(err) => return ApiError(err).into_response(),
    };
    match services.begin_idempotent(&idempotent).await {
        Err(err) => ApiError(err).into_response(),
        Ok(Begun::Replay(replayed)) => {
            let status = StatusCode::from_u16(replayed.status).unwrap_or(StatusCode::OK);
            let mut response = (status, replayed.body).into_response();
            let headers = response.headers_mut();
            if let Some(content_type) = replayed
                .content_type
                .and_then(|value| HeaderValue::from_str(&value).ok())
            {
                headers.insert(header::CONTENT_TYPE, content_type);
            }
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        Ok(Begun::Run) => {
            // Run as a task of its own: if this request is dropped (its client went away, or the
            // request timed out), the work still finishes and its answer is kept or its key
            // released, instead of leaving the key held.
            let services = services.clone();
            let request = Request::from_parts(parts, Body::from(body));
            let task = tokio::spawn(async move {
                let response = next.run(request).await;
                let (parts, body) = response.into_parts();
                let body = match axum::body::to_bytes(body, MAX_KEPT_RESPONSE).await {
                    Ok(body) => body,
                    Err(err) => {
                        tracing::warn!(error = %err, "response not kept for its idempotency key");
                        let _ = services.abandon_idempotent(&idempotent).await;
                        return ApiError(ServiceError::Internal(StoreError::Corrupt(
                            "a response too large to keep".into(),
                        )))
                        .into_response();
                    }
                };
                let content_type = parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok());
                if let Err(err) = services
                    .finish_idempotent(&idempotent, parts.status.as_u16(), content_type, &body)
                    .await
                {
                    tracing::warn!(error = %err, "could not keep a response for its idempotency key");
                }
                Response::from_parts(parts, Body::from(body))
            });
            task.await.unwrap_or_else(|err| {
                tracing::error!(error = %err, "an idempotent request's task failed");
                ApiError(ServiceError::Internal(StoreError::Corrupt(
                    "an idempotent request's task failed".into(),
                )))
                .into_response()
            })
        }
    }
}
