//! Transactions a user confirms with a passkey: `initialize`, `finalize`, and the undocumented
//! listing of a user's transactions.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use latchkey_engine::Engine;
use latchkey_engine::Store;
use latchkey_engine::ceremonies::{MAX_TRANSACTION_ID_CHARS, NewTransaction};
use latchkey_engine::model::{Transaction, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use uuid::Uuid;

use super::Token;
use super::credential_json::CredentialJson;
use super::error::ApiError;
use super::error::{Body as ErrorBody, Endpoint, api_error, invalid_user_id};
use super::openapi::{CREDENTIAL_ASSERTION, RATE_LIMITED};
use super::options::RequestOptions;
use super::tenant::{ApiKeyed, CurrentTenant};
use crate::extensions::results_json;
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::path::PathParams;
use crate::http::timestamps::rfc3339;
use crate::http::validate::{Validate, Violations};

/// Body of `transaction/initialize`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InitTransaction {
    /// The application's id of the user who confirms the transaction.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(required = true, min_length = 1)]
    user_id: String,
    /// Unique among the tenant's transactions.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(required = true, min_length = 1, max_length = 128)]
    transaction_id: String,
    #[serde(default)]
    #[schema(required = true, schema_with = any_but_null)]
    transaction_data: Option<serde_json::Value>,
}

/// A schema that allows any JSON value except `null`.
fn any_but_null() -> Object {
    ObjectBuilder::new()
        .description(Some(
            "Any JSON value but `null`; the challenge commits to it.",
        ))
        .schema_type(SchemaType::from_iter([
            Type::Object,
            Type::Array,
            Type::String,
            Type::Number,
            Type::Boolean,
        ]))
        .build()
}

impl Validate for InitTransaction {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        violations.required("user_id", &self.user_id);
        if self.transaction_id.is_empty() {
            violations.required("transaction_id", &self.transaction_id);
        } else {
            violations.max_chars(
                "transaction_id",
                &self.transaction_id,
                MAX_TRANSACTION_ID_CHARS,
            );
        }
        if self.transaction_data.is_none() {
            violations.push("transaction_data is a required field");
        }
        violations.finish()
    }
}

/// A stored transaction as the original's `TransactionDto` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Transaction)]
pub struct TransactionDto {
    #[schema(format = Uuid)]
    pub id: String,
    /// The `transaction_id` it was started with.
    pub identifier: String,
    /// The transaction data as the JSON text it was stored as.
    pub data: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Transaction> for TransactionDto {
    fn from(transaction: Transaction) -> Self {
        Self {
            id: transaction.id.to_string(),
            identifier: transaction.identifier,
            data: transaction.data,
            created_at: rfc3339(transaction.created_at),
            updated_at: rfc3339(transaction.updated_at),
        }
    }
}

/// Starts a transaction.
///
/// The user confirms `transaction_data` with a passkey: the challenge commits to the
/// transaction's id and data.
#[utoipa::path(
    post,
    path = "/{tenant_id}/transaction/initialize",
    operation_id = "post-tenant_id-transaction-initialize",
    tag = "webauthn",
    request_body(content = InitTransaction, content_type = "application/json"),
    responses(
        (status = 200, description = "The request options for `navigator.credentials.get`.", body = RequestOptions),
        (status = 400, description = "A field breaks its rule (`unable to validate request`), or the user has no passkeys (`user has no suitable credentials for this operation`).", body = ErrorBody),
        (status = 404, description = "No user has this `user_id` (`unable to find user`).", body = ErrorBody),
        (status = 409, description = "The tenant has a transaction with this `transaction_id` (`transaction already exists`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn initialize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    ValidJson(body, _): ValidJson<InitTransaction, ApiError>,
) -> Result<Json<RequestOptions>, ApiError> {
    let transaction = NewTransaction {
        user_id: body.user_id,
        transaction_id: body.transaction_id,
        data: body.transaction_data.unwrap_or_default(),
    };
    let options = engine
        .start_transaction(tenant.id(), transaction, &meta)
        .await
        .map_err(|error| api_error(Endpoint::TransactionInit, error))?;
    Ok(Json(options.into()))
}

/// Finishes a transaction.
///
/// Verifies the assertion; the token names the transaction in its `trans` claim.
#[utoipa::path(
    post,
    path = "/{tenant_id}/transaction/finalize",
    operation_id = "post-tenant_id-transaction-finalize",
    tag = "webauthn",
    request_body(content = ref("#/components/schemas/AssertionCredential"), content_type = "application/json", description = CREDENTIAL_ASSERTION),
    responses(
        (status = 200, description = "The transaction is confirmed.", body = Token),
        (status = 400, description = "The assertion does not parse (`unable to finish transaction`).", body = ErrorBody),
        (status = 401, description = "The challenge names no transaction of this tenant (`failed to get session data`), the user is unknown (`failed to get user handle`), or the assertion fails verification (`failed to validate assertion`). When the tenant holds no credential with the assertion's id, `signal` holds the options of `PublicKeyCredential.signalUnknownCredential`.", body = ErrorBody),
        (status = 429, description = RATE_LIMITED, body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn finalize<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    Meta(meta): Meta,
    CredentialJson(body): CredentialJson,
) -> Result<Json<Token>, ApiError> {
    let outcome = engine
        .finish_transaction(tenant.id(), &body, &meta)
        .await
        .map_err(|error| api_error(Endpoint::TransactionFinal, error))?;
    Ok(Json(Token {
        token: outcome.token,
        client_extension_results: results_json(&outcome.extension_results),
    }))
}

/// Lists a user's transactions.
///
/// `user_id` is latchkey's own id of the user (a UUID, as the admin API shows it), not the
/// application's, as in the original, which does not document this route. An unknown user
/// has no transactions.
#[utoipa::path(
    get,
    path = "/{tenant_id}/transaction/{user_id}",
    operation_id = "get-tenant_id-transaction-user_id",
    tag = "webauthn",
    params(("user_id" = Uuid, Path, description = "latchkey's id of the user.")),
    responses(
        (status = 200, description = "The user's transactions.", body = Vec<TransactionDto>),
        (status = 400, description = "`user_id` is not a UUID (`invalid user id`), or not UTF-8 once percent-decoded (`unable to process request`).", body = ErrorBody),
    ),
    security(("apiKey" = [])),
)]
pub async fn list<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    _: ApiKeyed,
    tenant: CurrentTenant,
    PathParams((_, user), _): PathParams<(String, String), ApiError>,
) -> Result<Json<Vec<TransactionDto>>, ApiError> {
    let user = Uuid::parse_str(&user).map_err(|_| invalid_user_id())?;
    let transactions = engine
        .transactions(tenant.id(), UserId(user))
        .await
        .map_err(|error| api_error(Endpoint::Tenant, error))?;
    Ok(Json(
        transactions.into_iter().map(TransactionDto::from).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(json: &str) -> Result<(), String> {
        serde_json::from_str::<InitTransaction>(json)
            .unwrap()
            .validate()
    }

    #[test]
    fn rules_of_the_original() {
        assert_eq!(
            validate(r#"{"user_id":"u","transaction_id":"t","transaction_data":{"a":1}}"#),
            Ok(())
        );
        assert_eq!(
            validate(r#"{"user_id":"u","transaction_id":"t","transaction_data":false}"#),
            Ok(())
        );
        assert_eq!(
            validate(r#"{"transaction_data":null}"#).unwrap_err(),
            "user_id is a required field and transaction_id is a required field \
             and transaction_data is a required field"
        );
        assert_eq!(
            validate(&format!(
                r#"{{"user_id":"u","transaction_id":"{}","transaction_data":1}}"#,
                "t".repeat(MAX_TRANSACTION_ID_CHARS + 1)
            ))
            .unwrap_err(),
            format!("transaction_id cannot have more than {MAX_TRANSACTION_ID_CHARS} entries")
        );
        assert_eq!(
            validate(&format!(
                r#"{{"user_id":"u","transaction_id":"{}","transaction_data":1}}"#,
                "t".repeat(MAX_TRANSACTION_ID_CHARS)
            )),
            Ok(())
        );
    }
}
