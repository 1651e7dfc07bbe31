//! Request ids: every request gets one, reused from the caller when it sent
//! a sane `x-request-id`, and every response echoes it back.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest caller-supplied id that is kept; longer ones are replaced so
/// that logs cannot be flooded through this header.
const MAX_LEN: usize = 64;

pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .filter(|value| is_acceptable(value.as_bytes()))
        .cloned()
        .unwrap_or_else(fresh_id);
    request.headers_mut().insert(REQUEST_ID_HEADER, id.clone());

    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID_HEADER, id);
    response
}

fn is_acceptable(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn fresh_id() -> HeaderValue {
    let id = uuid::Uuid::new_v4().simple().to_string();
    // Cannot fail: a hex string is a valid header value.
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

#[cfg(test)]
mod tests {
    use super::is_acceptable;

    #[test]
    fn caller_ids_must_be_short_and_plain() {
        assert!(is_acceptable(b"3f1c-ab_9.x"));
        assert!(!is_acceptable(b""));
        assert!(!is_acceptable(b"a b"));
        assert!(!is_acceptable(b"x\"y"));
        assert!(!is_acceptable(&[b'a'; 65]));
    }
}
