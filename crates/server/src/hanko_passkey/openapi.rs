//! This API's OpenAPI document.

use utoipa::openapi::{OpenApi, OpenApiBuilder};

use crate::openapi::info;

pub fn document() -> OpenApi {
    OpenApiBuilder::new()
        .info(info(
            "Hanko passkey server (latchkey)",
            "latchkey's implementation of the Hanko passkey-server API: multi-tenant registration, login, MFA, transactions, credentials, JWKS and audit logs under `/{tenant_id}`, authenticated by the tenant's `apiKey` header where the original requires it.",
        ))
        .build()
}
