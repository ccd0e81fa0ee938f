//! This API's OpenAPI document.

use utoipa::openapi::{OpenApi, OpenApiBuilder};

use crate::openapi::info;

pub fn document() -> OpenApi {
    OpenApiBuilder::new()
        .info(info(
            "1Kosmos WebAuthn API (latchkey)",
            "latchkey's implementation of the 1Kosmos WebAuthn API under `/webauthn`: FIDO2 ceremonies in the secp256k1/AES-256-GCM request envelope, license keys, communities, DID links and vendor metadata.",
        ))
        .build()
}
