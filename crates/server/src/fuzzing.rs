//! Entry points of the fuzz targets in `crates/server/fuzz`; not an API (hidden from the docs and
//! free to change). Each runs the fuzzer's bytes through the functions the extractors and
//! handlers run on a request, up to the first store access, and renders any refusal as the
//! dialect's answer: only a panic counts. So a crash found here is one a client could cause.
//!
//! A request input starts with a route byte, taken modulo the number of routes of its dialect
//! (each dialect's `fuzzing` module lists them), and the body follows.

use std::fmt::Debug;

use axum::response::IntoResponse;
use latchkey_webauthn::{AuthenticationResponse, RegistrationResponse, challenge_of};
use serde::de::DeserializeOwned;

use crate::http::error::Rejection;
use crate::http::json::valid_body;
use crate::http::validate::Validate;

/// A body of the Hanko passkey-server API.
pub fn hanko_passkey_request(data: &[u8]) {
    routed(data, crate::hanko_passkey::fuzzing::request);
}

/// A body of the Hanko Public API.
pub fn hanko_public_request(data: &[u8]) {
    routed(data, crate::hanko_public::fuzzing::request);
}

/// A plain body of the 1Kosmos API (the u1 and vendor metadata calls, and what an envelope
/// carries), or its `sessionInfo` header.
pub fn kosmos_request(data: &[u8]) {
    routed(data, crate::kosmos::fuzzing::request);
}

/// An encrypted 1Kosmos call: the route byte, then the `publickey`, `licensekey` and
/// `requestid` headers and the body, separated by newlines (which no header can hold).
pub use crate::kosmos::fuzzing::envelope as kosmos_envelope;

/// An encrypted 1Kosmos call sealed here: the route byte, then the plaintexts of the
/// `licensekey` and `requestid` headers and of the body's `data`, separated by newlines; each is
/// sealed for the service by a fixed caller, so that every input gets past the envelope.
pub use crate::kosmos::fuzzing::sealed as kosmos_sealed;

/// A body of the admin API.
pub fn admin_request(data: &[u8]) {
    routed(data, crate::admin::fuzzing::request);
}

fn routed(data: &[u8], dialect: fn(u8, &[u8])) {
    if let Some((route, body)) = data.split_first() {
        dialect(*route, body);
    }
}

/// A body as `ValidJson<T, E>` reads it; a refusal is answered as `E` answers it.
pub(crate) fn valid<T, E>(body: &[u8]) -> Option<T>
where
    T: DeserializeOwned + Validate + Debug,
    E: From<Rejection> + IntoResponse,
{
    match valid_body::<T>(body) {
        Ok(value) => {
            let _ = format!("{value:?}");
            Some(value)
        }
        Err(rejection) => {
            let _ = E::from(rejection).into_response();
            None
        }
    }
}

/// An error answered as the dialect answers it.
pub(crate) fn answered<T, E: IntoResponse>(result: Result<T, E>) -> Option<T> {
    result.map_err(|error| error.into_response()).ok()
}

/// What the engine reads of a credential response before it looks anything up, as a
/// registration and as an assertion.
pub(crate) fn credential_response(json: &[u8]) {
    if let Ok(response) = RegistrationResponse::from_json(json) {
        let _ = challenge_of(&response.client_data_json);
    }
    if let Ok(response) = AuthenticationResponse::from_json(json) {
        let _ = challenge_of(&response.client_data_json);
    }
}
