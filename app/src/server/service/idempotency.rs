//! `Idempotency-Key` on every `POST` of the API, Stripe's contract: the same key with the same
//! request within 24 hours answers the first request's stored response (status and body) without
//! doing the work again; the same key with a different request is a 422; a request arriving while
//! the first still runs waits for its answer (up to [`WAIT_FOR_FIRST`]) or gets a 409.
//!
//! Keys belong to a caller: the scope is the SHA-256 of its credential (the bearer token, or for a
//! public endpoint the request's path and body, which hold its capability). A stored response may
//! carry a secret (a new session token), so it is sealed (XChaCha20-Poly1305) with a key derived
//! from the credential and the idempotency key: the database alone cannot read it, and only a
//! caller presenting the same credential gets it back.
//!
//! Responses that say "try again" (5xx, 409, 429) are not kept: the key is released so a retry
//! does the work. Nor are 401, 403, 404 and 405: a key is only kept for a caller the request
//! proved to be one, about something that exists.

use std::time::Duration;

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit},
};
use chrono::TimeDelta;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    model::ValidationIssue,
    server::store::{
        IdempotencyClaim, IdempotencyHold, IdempotencyKey, StoreError, StoredResponse,
    },
};

use super::{ServiceError, Services};

/// How long a stored response answers retries.
pub const KEY_LIFETIME: TimeDelta = TimeDelta::hours(24);
/// How long the first request holds its key; a request still holding it after this is presumed
/// dead (its server crashed) and a retry takes over.
const HOLD: TimeDelta = TimeDelta::seconds(60);
/// How long a retry waits for the first request's answer before answering 409.
pub const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(25);
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// One request carrying an `Idempotency-Key`.
pub struct IdempotentRequest {
    scope: [u8; 32],
    key: String,
    fingerprint: [u8; 32],
    /// Derived from the credential and the key; seals the stored response.
    seal: [u8; 32],
}

impl IdempotentRequest {
    /// `credential`: what identifies the caller (its `Authorization` header, or for a public
    /// endpoint its path and body); `request`: the parts that must match on a retry (method, path,
    /// query, body).
    pub fn new(key: &str, credential: &[u8], request: &[&[u8]]) -> Result<Self, ServiceError> {
        let valid = !key.is_empty()
            && key.len() <= MAX_KEY_LEN
            && key.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if !valid {
            return Err(ServiceError::Validation(vec![ValidationIssue {
                loc: vec!["header".into(), "Idempotency-Key".into()],
                msg: format!("an idempotency key is 1 to {MAX_KEY_LEN} printable ASCII characters"),
                kind: "value_error".into(),
            }]));
        }
        let scope = digest(&[b"seatkeeper idempotency scope", credential]);
        let seal = digest(&[b"seatkeeper idempotency seal", credential, key.as_bytes()]);
        let fingerprint = digest(&[&[&b"seatkeeper idempotency request"[..]], request].concat());
        Ok(Self {
            scope,
            key: key.to_owned(),
            fingerprint,
            seal,
        })
    }

    fn key(&self) -> IdempotencyKey<'_> {
        IdempotencyKey {
            scope: &self.scope,
            key: &self.key,
        }
    }

    /// This request's hold on its key, taken at `now`.
    fn hold(&self, now: chrono::DateTime<chrono::Utc>) -> IdempotencyHold<'_> {
        IdempotencyHold {
            fingerprint: &self.fingerprint,
            now,
            locked_until: now + HOLD,
        }
    }
}

/// SHA-256 over length-prefixed parts, so no two lists of parts share a digest.
fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// What to do with a request carrying a key.
pub enum Begun {
    /// Run it, then [`Services::finish_idempotent`] (or [`Services::abandon_idempotent`]).
    Run,
    /// Answer the first request's response again.
    Replay(Replayed),
}

/// A stored response, opened.
pub struct Replayed {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Services {
    /// Claims the key for this request, or finds the first request's answer (waiting for it while
    /// it runs).
    pub async fn begin_idempotent(
        &self,
        request: &IdempotentRequest,
    ) -> Result<Begun, ServiceError> {
        let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
        loop {
            let now = self.now();
            let claim = self
                .store()
                .claim_idempotency_key(request.key(), request.hold(now))
                .await;
            let record = match claim {
                Ok(IdempotencyClaim::Claimed) => return Ok(Begun::Run),
                Ok(IdempotencyClaim::Taken(record)) => record,
                Err(StoreError::Stale(_)) => continue,
                Err(err) => return Err(err.into()),
            };
            let expired = record.created_at <= now - KEY_LIFETIME;
            let abandoned =
                record.response.is_none() && record.locked_until.is_none_or(|until| until <= now);
            if expired || abandoned {
                if self
                    .store()
                    .take_over_idempotency_key(request.key(), request.hold(now), now - KEY_LIFETIME)
                    .await?
                {
                    return Ok(Begun::Run);
                }
                continue;
            }
            if record.fingerprint != request.fingerprint {
                return Err(ServiceError::Validation(vec![ValidationIssue {
                    loc: vec!["header".into(), "Idempotency-Key".into()],
                    msg: "this Idempotency-Key was used with a different request; use a new key \
                          for a new request"
                        .into(),
                    kind: "idempotency_key_reused".into(),
                }]));
            }
            if let Some(stored) = record.response {
                return Ok(Begun::Replay(open(request, stored)?));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ServiceError::Conflict {
                    error: "IdempotencyKeyInUse",
                    detail: "a request with this Idempotency-Key is still being processed; retry \
                             later"
                        .into(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Keeps the response of a request that ran (or releases its key when the response says to
    /// try again).
    pub async fn finish_idempotent(
        &self,
        request: &IdempotentRequest,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), ServiceError> {
        // Not kept: answers that say "try again" (5xx, 409, 429), and answers to a caller who
        // turned out not to be one (401, 403) or to a request for nothing (404, 405), so no one can
        // fill the table with rows no caller owns.
        if status >= 500 || matches!(status, 401 | 403 | 404 | 405 | 409 | 429) {
            return self.abandon_idempotent(request).await;
        }
        let stored = StoredResponse {
            status,
            content_type: content_type.map(str::to_owned),
            sealed_body: seal(request, body)?,
        };
        Ok(self
            .store()
            .complete_idempotency_key(request.key(), &stored)
            .await?)
    }

    /// Releases the key of a request that did not finish.
    pub async fn abandon_idempotent(
        &self,
        request: &IdempotentRequest,
    ) -> Result<(), ServiceError> {
        Ok(self.store().release_idempotency_key(request.key()).await?)
    }

    /// Forgets stored responses older than [`KEY_LIFETIME`] (part of the due work).
    pub(super) async fn purge_idempotency_keys(&self) -> Result<u64, ServiceError> {
        Ok(self
            .store()
            .purge_idempotency_keys(self.now() - KEY_LIFETIME)
            .await?)
    }
}

fn cipher(request: &IdempotentRequest) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&request.seal.into())
}

fn seal(request: &IdempotentRequest, body: &[u8]) -> Result<Vec<u8>, ServiceError> {
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher(request)
        .encrypt(&XNonce::from(nonce), body)
        .map_err(|_| ServiceError::Internal(StoreError::Corrupt("sealing a response".into())))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(out)
}

fn open(request: &IdempotentRequest, stored: StoredResponse) -> Result<Replayed, ServiceError> {
    let sealed = &stored.sealed_body;
    if sealed.len() < 24 {
        return Err(ServiceError::Internal(StoreError::Corrupt(
            "a stored response is too short".into(),
        )));
    }
    let (nonce, body) = sealed.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| {
        ServiceError::Internal(StoreError::Corrupt("a stored response's nonce".into()))
    })?;
    let body = cipher(request)
        .decrypt(&XNonce::from(nonce), body)
        .map_err(|_| {
            ServiceError::Internal(StoreError::Corrupt(
                "a stored response does not open".into(),
            ))
        })?;
    Ok(Replayed {
        status: stored.status,
        content_type: stored.content_type,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: &str, credential: &str, body: &str) -> IdempotentRequest {
        IdempotentRequest::new(
            key,
            credential.as_bytes(),
            &[b"POST", b"/v1/x", body.as_bytes()],
        )
        .unwrap()
    }

    #[test]
    fn a_sealed_response_opens_only_with_the_same_credential_and_key() {
        let first = request("k1", "Bearer a", "{}");
        let sealed = seal(&first, b"{\"token\":\"secret\"}").unwrap();
        assert!(
            !sealed.windows(6).any(|w| w == b"secret"),
            "not stored in the clear"
        );
        let stored = StoredResponse {
            status: 200,
            content_type: None,
            sealed_body: sealed,
        };
        assert_eq!(
            open(&request("k1", "Bearer a", "{}"), stored.clone())
                .unwrap()
                .body,
            b"{\"token\":\"secret\"}"
        );
        assert!(open(&request("k1", "Bearer b", "{}"), stored.clone()).is_err());
        assert!(open(&request("k2", "Bearer a", "{}"), stored).is_err());
    }

    #[test]
    fn keys_are_scoped_by_credential_and_requests_told_apart_by_their_parts() {
        let a = request("k", "Bearer a", "{\"x\":1}");
        assert_eq!(a.scope, request("k", "Bearer a", "{\"y\":2}").scope);
        assert_ne!(a.scope, request("k", "Bearer b", "{\"x\":1}").scope);
        assert_ne!(
            a.fingerprint,
            request("k", "Bearer a", "{\"y\":2}").fingerprint
        );
        assert_eq!(
            a.fingerprint,
            request("other", "Bearer z", "{\"x\":1}").fingerprint
        );
    }

    #[test]
    fn an_empty_overlong_or_binary_key_is_refused() {
        for key in ["", &"k".repeat(MAX_KEY_LEN + 1), "tab\there"] {
            assert!(IdempotentRequest::new(key, b"c", &[]).is_err(), "{key:?}");
        }
    }
}
