//! This API's OpenAPI document.

use utoipa::openapi::{OpenApi, OpenApiBuilder};

use crate::openapi::info;

pub fn document() -> OpenApi {
    OpenApiBuilder::new()
        .info(info(
            "Hanko Public API v0.12 (latchkey)",
            "latchkey's implementation of the Hanko backend's public API v0.12 for tenants that enable it: users, emails, passcodes, passwords, WebAuthn, sessions, third-party and SAML sign-in, under `/{tenant_id}` (and at `/` for the configured default tenant).",
        ))
        .build()
}
