//! Seat lists on the wire: a kept list's JSON as a response, gzip-compressed when the request
//! accepts it. A list is polled far more often than it changes and compressing ~76 KB costs more
//! than the rest of the request, so each kept rendering ([`SeatListJson`]) is compressed once: its
//! copy lives here while the service keeps the rendering, and is swept out after (as the map
//! grows). Copies are about a tenth of their JSON, which the service's budget counts.

use std::{
    collections::HashMap,
    io::Write,
    sync::{Arc, Mutex, OnceLock, PoisonError, Weak},
};

use app::server::service::SeatListJson;
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, header, request::Parts},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

/// Whether the request accepts a gzip-encoded answer, read from `Accept-Encoding` in place (the
/// `HeaderMap` extractor would copy every header on the seat list's hot path).
pub struct AcceptsGzip(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for AcceptsGzip {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(AcceptsGzip(accepts_gzip(&parts.headers)))
    }
}

/// Whether `Accept-Encoding` names gzip with a weight above zero (`gzip;q=0` refuses it).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|parameter| {
                parameter
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !refused
        })
}

/// One compressed copy, made once by whichever request needs it first.
type Copy = Arc<OnceLock<Bytes>>;

/// The gzip copies of the kept seat lists of this process, by rendering. A copy is found by the
/// address of its rendering's `Arc`; the entry holds a [`Weak`] of that `Arc`, so the address
/// cannot be reused by another rendering while the entry exists. Entries of renderings the
/// service dropped are swept as the map grows.
#[derive(Default)]
pub struct GzipCopies {
    copies: Mutex<Copies>,
}

#[derive(Default)]
struct Copies {
    by_rendering: HashMap<usize, (Weak<SeatListJson>, Copy)>,
    /// The size at which the next sweep runs.
    sweep_at: usize,
}

/// The fewest entries at which dropped renderings are swept out.
const FIRST_SWEEP: usize = 64;

impl GzipCopies {
    /// A kept list as a response: its gzip copy when the request accepts gzip (the compression
    /// layer leaves an encoded response alone), else its JSON (which that layer may compress for
    /// other encodings).
    pub fn response(&self, list: &Arc<SeatListJson>, AcceptsGzip(gzip): AcceptsGzip) -> Response {
        if !gzip {
            return json_body(list.json());
        }
        let mut response = json_body(self.gzip(list));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        response
    }

    /// The gzip copy of `list`, compressed on first demand.
    fn gzip(&self, list: &Arc<SeatListJson>) -> Bytes {
        let copy = self.copy_of(list);
        copy.get_or_init(|| compress(&list.json())).clone()
    }

    fn copy_of(&self, list: &Arc<SeatListJson>) -> Copy {
        let mut copies = self.copies.lock().unwrap_or_else(PoisonError::into_inner);
        let key = Arc::as_ptr(list) as usize;
        if let Some((_, copy)) = copies.by_rendering.get(&key) {
            return copy.clone();
        }
        if copies.by_rendering.len() >= copies.sweep_at {
            copies
                .by_rendering
                .retain(|_, (rendering, _)| rendering.strong_count() > 0);
            copies.sweep_at = (copies.by_rendering.len() * 2).max(FIRST_SWEEP);
        }
        let copy = Copy::default();
        copies
            .by_rendering
            .insert(key, (Arc::downgrade(list), copy.clone()));
        copy
    }

    /// How many copies are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        let copies = self.copies.lock().unwrap_or_else(PoisonError::into_inner);
        copies.by_rendering.len()
    }
}

fn compress(json: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to memory cannot fail.
    let _ = encoder.write_all(json);
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// A response whose body is JSON rendered earlier.
fn json_body(json: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn accept_encoding(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        headers
    }

    fn rendering(json: &str) -> Arc<SeatListJson> {
        Arc::new(SeatListJson::new(Bytes::from(json.to_owned())))
    }

    #[test]
    fn gzip_is_accepted_when_named_with_a_weight_above_zero() {
        for value in [
            "gzip",
            "gzip, deflate, br, zstd",
            "br;q=1.0, GZIP;q=0.5",
            "x-gzip",
        ] {
            assert!(accepts_gzip(&accept_encoding(value)), "{value}");
        }
        for value in [
            "br",
            "identity",
            "gzip;q=0",
            "gzip; q=0.0, br",
            "*",
            "gzipx",
        ] {
            assert!(!accepts_gzip(&accept_encoding(value)), "{value}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn a_rendering_is_compressed_once_and_decompresses_to_its_json() {
        let copies = GzipCopies::default();
        let json = format!("[{}]", vec!["{\"seat\":1}"; 500].join(","));
        let list = rendering(&json);
        let gzip = copies.gzip(&list);
        assert!(
            gzip.len() < json.len() / 10,
            "{} of {}",
            gzip.len(),
            json.len()
        );
        assert_eq!(copies.gzip(&list).as_ptr(), gzip.as_ptr(), "made once");
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain, json);
    }

    #[test]
    fn another_rendering_of_the_same_json_is_another_copy() {
        let copies = GzipCopies::default();
        let (first, second) = (rendering("[1]"), rendering("[1]"));
        assert_ne!(copies.gzip(&first).as_ptr(), copies.gzip(&second).as_ptr());
    }

    #[test]
    fn copies_of_dropped_renderings_are_swept_as_the_map_grows() {
        let copies = GzipCopies::default();
        let kept = rendering("[0]");
        copies.gzip(&kept);
        for n in 0..10 * FIRST_SWEEP {
            copies.gzip(&rendering(&format!("[{n}]")));
        }
        assert!(copies.len() <= FIRST_SWEEP + 1, "{} copies", copies.len());
        let again = copies.gzip(&kept);
        assert_eq!(
            again.as_ptr(),
            copies.gzip(&kept).as_ptr(),
            "the kept one stays"
        );
    }

    #[test]
    fn a_request_without_gzip_gets_the_plain_json() {
        let copies = GzipCopies::default();
        let response = copies.response(&rendering("[2]"), AcceptsGzip(false));
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(copies.len(), 0);
        let response = copies.response(&rendering("[2]"), AcceptsGzip(true));
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    }
}
