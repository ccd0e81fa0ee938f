//! `/tenants/{id}/users`: list, read (with credentials and transactions), delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_engine::Store;
use latchkey_engine::model::{User, UserId};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::AdminState;
use super::error::answer;
use super::path::{ItemPath, TenantPath};
use super::schemas::{self, AdminError, Paging, TenantParam};
use crate::hanko_passkey::error::ApiError;
use crate::hanko_passkey::shared_with_admin::{CredentialDto, TransactionDto};
use crate::http::pagination::{PageParams, RequestUrl, page_response};

/// A passkey-server user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = User)]
pub(super) struct UserResponse {
    /// latchkey's id of the user.
    id: Uuid,
    /// The id the tenant's application gave the user.
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

/// A user with their credentials and transactions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UserDetails)]
pub(super) struct UserDetailsResponse {
    #[serde(flatten)]
    user: UserResponse,
    #[schema(value_type = Vec<schemas::Credential>)]
    credentials: Vec<CredentialDto>,
    #[schema(value_type = Vec<schemas::Transaction>)]
    transactions: Vec<TransactionDto>,
}

/// Lists the tenant's passkey-server users, paged.
#[utoipa::path(get, path = "/tenants/{tenant_id}/users", operation_id = "list_passkey_users", tag = "users",
    params(TenantParam, Paging,
        ("sort_direction" = Option<String>, Query, description = "`desc` (newest first, the default) or `asc`, in any case."),
    ),
    responses(
        (status = 200, description = "One page of users.", body = [UserResponse], headers(("X-Total-Count" = u64, description = "How many entries the listing has in all."), ("Link" = String, description = "`first`, `last`, `next` and `prev` pages, as the original sends them."))),
        (status = 400, description = "`tenant_id must be a valid uuid4`, `unable to parse request` (a page number that is not an integer) or `sort_direction must be desc or asc`.", body = AdminError),
        (status = 404, description = "`tenant not found`.", body = AdminError),
    ))]
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

/// A user with their credentials and transactions.
#[utoipa::path(get, path = "/tenants/{tenant_id}/users/{user_id}", operation_id = "show_passkey_user", tag = "users",
    params(TenantParam, ("user_id" = Uuid, Path, description = "latchkey's id of the user.")),
    responses(
        (status = 200, description = "The user.", body = UserDetailsResponse),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `invalid user_id`.", body = AdminError),
        (status = 404, description = "`tenant not found` or `user not found`.", body = AdminError),
    ))]
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

/// Deletes a user with their credentials.
#[utoipa::path(delete, path = "/tenants/{tenant_id}/users/{user_id}", operation_id = "remove_passkey_user", tag = "users",
    params(TenantParam, ("user_id" = Uuid, Path, description = "latchkey's id of the user.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "`tenant_id must be a valid uuid4` or `invalid user_id`.", body = AdminError),
        (status = 404, description = "`tenant not found` or `user not found`.", body = AdminError),
    ))]
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
