//! The ids in console paths, read with the console's refusals.

use latchkey_engine::model::TenantId;
use uuid::Uuid;

use super::error::ConsoleError;
use crate::http::path::PathParams;

/// `/console/tenants/{tenant_id}`.
pub(super) type TenantParam = PathParams<String, ConsoleError>;
/// `/console/tenants/{tenant_id}/…/{item}`.
pub(super) type ItemParams = PathParams<(String, String), ConsoleError>;
/// `/console/tenants/{tenant_id}/users/{user_id}/credentials/{credential_id}`.
pub(super) type CredentialParams = PathParams<(String, String, String), ConsoleError>;

pub(super) fn tenant(text: &str) -> Result<TenantId, ConsoleError> {
    uuid(text, "tenant").map(TenantId)
}

/// `text` as a UUID; a malformed one names nothing that exists.
pub(super) fn uuid(text: &str, what: &str) -> Result<Uuid, ConsoleError> {
    Uuid::parse_str(text).map_err(|_| ConsoleError::not_found(what))
}
