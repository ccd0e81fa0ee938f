//! This API's OpenAPI document.

use utoipa::openapi::{OpenApi, OpenApiBuilder};

use crate::openapi::info;

pub fn document() -> OpenApi {
    OpenApiBuilder::new()
        .info(info(
            "latchkey admin API",
            "The admin listener of latchkey: health, metrics, tenants and their configuration, API keys, signing keys, users, audit logs and the Hanko Public API administration. Open on loopback; a bearer token elsewhere.",
        ))
        .build()
}
