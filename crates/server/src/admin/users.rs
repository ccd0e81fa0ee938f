//! `/tenants/{id}/users`: list, read (with credentials and transactions), delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_engine::Store;
use latchkey_engine::model::{User, UserId};
use serde::Serialize;
use uuid::Uuid;

use super::AdminState;
use super::error::answer;
use super::path::{ItemPath, TenantPath};
use crate::hanko_passkey::error::ApiError;
use crate::hanko_passkey::shared_with_admin::{CredentialDto, TransactionDto};
use crate::http::pagination::{PageParams, RequestUrl, page_response};

#[derive(Debug, Serialize)]
pub(super) struct UserResponse {
    id: Uuid,
    user_id: String,
    name: String,
    /// `""` when the user has none: the original's field is a plain string.
    icon: String,
    display_name: String,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            id: user.id.0,
            user_id: user.external_id,
            name: user.name,
            icon: user.icon.unwrap_or_default(),
            display_name: user.display_name,
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct UserDetailsResponse {
    #[serde(flatten)]
    user: UserResponse,
    credentials: Vec<CredentialDto>,
    transactions: Vec<TransactionDto>,
}

pub(super) async fn list<S: Store>(
    State(state): State<AdminState<S>>,
    TenantPath(tenant): TenantPath,
    url: RequestUrl,
) -> Result<Response, ApiError> {
    let params = PageParams::from_pairs(&url.query).map_err(|details| {
        ApiError::bad_request("unable to parse request").with_details(details)
    })?;
    let descending = descending(&url.query)?;
    page_response::<_, UserResponse, _, _, _>(&url, params, descending, |page| async move {
        state
            .engine
            .users(tenant, page)
            .await
            .map_err(|error| answer(error, "unable to list users"))
    })
    .await
}

/// `sort_direction`: `desc` (the default) or `asc`, in any case.
fn descending(query: &[(String, String)]) -> Result<bool, ApiError> {
    let direction = query
        .iter()
        .find(|(name, _)| name == "sort_direction")
        .map(|(_, value)| value.to_ascii_lowercase())
        .unwrap_or_default();
    match direction.as_str() {
        "" | "desc" => Ok(true),
        "asc" => Ok(false),
        _ => Err(ApiError::bad_request("sort_direction must be desc or asc")),
    }
}

pub(super) async fn show<S: Store>(
    State(state): State<AdminState<S>>,
    path: ItemPath,
) -> Result<Json<UserDetailsResponse>, ApiError> {
    let id = path.uuid(invalid_user_id)?;
    let details = state
        .engine
        .user_details(path.tenant, UserId(id))
        .await
        .map_err(|error| answer(error, "unable to get user"))?;
    Ok(Json(UserDetailsResponse {
        user: UserResponse::from(details.user),
        credentials: details
            .credentials
            .into_iter()
            .map(CredentialDto::from)
            .collect(),
        transactions: details
            .transactions
            .into_iter()
            .map(TransactionDto::from)
            .collect(),
    }))
}

pub(super) async fn remove<S: Store>(
    State(state): State<AdminState<S>>,
    path: ItemPath,
) -> Result<StatusCode, ApiError> {
    let id = path.uuid(invalid_user_id)?;
    state
        .engine
        .delete_user(path.tenant, UserId(id))
        .await
        .map_err(|error| answer(error, "unable to delete user"))?;
    tracing::info!(tenant = %path.tenant.0, user = %id, "user deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn invalid_user_id() -> ApiError {
    ApiError::bad_request("invalid user_id")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn sort_direction_defaults_to_newest_first() {
        assert!(descending(&query(&[])).unwrap());
        assert!(!descending(&query(&[("sort_direction", "ASC")])).unwrap());
        assert!(descending(&query(&[("sort_direction", "desc")])).unwrap());
        let refused = descending(&query(&[("sort_direction", "up")])).unwrap_err();
        assert_eq!(refused.title, "sort_direction must be desc or asc");
    }
}
