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
use uuid::Uuid;

use super::Token;
use super::credential_json::CredentialJson;
use super::error::ApiError;
use super::error::{Endpoint, api_error, invalid_user_id};
use super::options::RequestOptions;
use super::tenant::{ApiKeyed, CurrentTenant};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::path::PathParams;
use crate::http::timestamps::rfc3339;
use crate::http::validate::{Validate, Violations};

/// Body of `transaction/initialize`.
#[derive(Debug, Deserialize)]
pub struct InitTransaction {
    #[serde(default, deserialize_with = "null_as_empty")]
    user_id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    transaction_id: String,
    /// Any JSON value but `null`.
    #[serde(default)]
    transaction_data: Option<serde_json::Value>,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionDto {
    pub id: String,
    pub identifier: String,
    /// The transaction data as the JSON text it was stored as.
    pub data: String,
    pub created_at: String,
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

/// POST `/{tenant}/transaction/initialize` (API key).
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

/// POST `/{tenant}/transaction/finalize` (API key): the token names the transaction in `trans`.
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
    }))
}

/// GET `/{tenant}/transaction/{user_id}` (API key), where `user_id` is latchkey's own id of the
/// user (a UUID), as in the original. An unknown user has no transactions.
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
