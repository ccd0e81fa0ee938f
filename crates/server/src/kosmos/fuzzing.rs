//! This dialect's requests for [`crate::fuzzing`]. Plain bodies by route byte: 0 the four
//! options calls, 1 the four result calls (the credential response), 2 vendor metadata
//! `fetch`, 3 its upsert, 4 its merge, 5 the decrypted `requestid` header, 6 the
//! `sessionInfo` header. The encrypted calls open with the key pair of the envelope test vector
//! (`tests/data/kosmos-envelope-vector.json`): the service's secret `11…11`, the caller's
//! `22…22`.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::call::{
    LICENSE_KEY, OpenedHeaders, PUBLIC_KEY, REQUEST_ID, RequestStamp, open_data, parse_json,
};
use super::ceremony::{OptionsRequest, ResultRequest, SessionInfo};
use super::envelope::{ServiceKey, SharedKey};
use super::error::Failure;
use super::vendor_metadata::{FetchRequest, PatchRequest, PutRequest};
use crate::fuzzing::{answered, credential_response};

/// The service's key pair, the caller's, and the key the caller seals with.
struct Keys {
    service: ServiceKey,
    caller: ServiceKey,
    sealing: SharedKey,
}

static KEYS: LazyLock<Option<Keys>> = LazyLock::new(|| {
    let service = ServiceKey::from_secret(&[0x11; 32]).ok()?;
    let caller = ServiceKey::from_secret(&[0x22; 32]).ok()?;
    let sealing = caller.shared_with(service.public_base64()).ok()?;
    Some(Keys {
        service,
        caller,
        sealing,
    })
});

/// The IV of every sealed value: the fuzzer's inputs must give the same run every time.
const IV: [u8; 16] = [7; 16];

pub fn request(route: u8, body: &[u8]) {
    match route % 7 {
        0 => {
            if let Some(request) = answered(parse_json::<OptionsRequest>(body)) {
                let _ = answered(request.username(true));
                let _ = answered(request.username(false));
            }
        }
        1 => {
            let read = parse_json::<Value>(body).and_then(|body| ResultRequest::read(&body));
            if let Some(request) = answered(read) {
                credential_response(&request.credential);
            }
        }
        2 => {
            let _ = answered(parse_json::<FetchRequest>(body).and_then(FetchRequest::aaguids));
        }
        3 => {
            let _ = answered(parse_json::<PutRequest>(body).and_then(PutRequest::change));
        }
        4 => {
            let _ = answered(parse_json::<PatchRequest>(body).and_then(PatchRequest::change));
        }
        5 => {
            let _ = answered(RequestStamp::parse(body));
        }
        _ => {
            if let Ok(value) = HeaderValue::from_bytes(body)
                && let Ok(text) = value.to_str()
            {
                let _ = format!("{:?}", SessionInfo::parse(text));
            }
        }
    }
}

pub fn envelope(data: &[u8]) {
    let (Some((route, rest)), Some(keys)) = (data.split_first(), KEYS.as_ref()) else {
        return;
    };
    let mut parts = rest.splitn(4, |byte| *byte == b'\n');
    let mut next = || parts.next().unwrap_or_default();
    let headers = headers([
        (PUBLIC_KEY, next()),
        (LICENSE_KEY, next()),
        (REQUEST_ID, next()),
    ]);
    call(&keys.service, *route, &headers, next());
}

pub fn sealed(data: &[u8]) {
    let (Some((route, rest)), Some(keys)) = (data.split_first(), KEYS.as_ref()) else {
        return;
    };
    let mut sealed = rest
        .splitn(3, |byte| *byte == b'\n')
        .filter_map(|plaintext| keys.sealing.seal_with_iv(plaintext, IV).ok());
    let mut next = || sealed.next().unwrap_or_default();
    let (license_key, request_id, data) = (next(), next(), next());
    let headers = headers([
        (PUBLIC_KEY, keys.caller.public_base64().as_bytes()),
        (LICENSE_KEY, license_key.as_bytes()),
        (REQUEST_ID, request_id.as_bytes()),
    ]);
    let body = serde_json::json!({ "data": data }).to_string();
    call(&keys.service, *route, &headers, body.as_bytes());
}

/// The headers a client could send: values that are no header value are left out.
fn headers<const N: usize>(values: [(HeaderName, &[u8]); N]) -> HeaderMap {
    values
        .into_iter()
        .filter_map(|(name, value)| Some((name, HeaderValue::from_bytes(value).ok()?)))
        .collect()
}

/// An encrypted call: its headers opened, then its body (the license lookup and the replay
/// check between them need the store).
fn call(service: &ServiceKey, route: u8, headers: &HeaderMap, body: &[u8]) {
    let Some(opened) = answered(OpenedHeaders::open(service, headers)) else {
        return;
    };
    let _ = format!("{:?}", opened.stamp);
    if let Some(plaintext) = answered::<_, Failure>(open_data(&opened.key, body)) {
        request(route, &plaintext);
    }
}
