//! Transactions: the user confirms data (a payment, say) with a passkey. The data is bound into
//! the challenge, so the signature covers it, and the token names the transaction.

use aws_lc_rs::digest::{SHA256, digest};
use serde_json::Value;
use uuid::Uuid;

use super::extensions::ExtensionInputs;
use super::login::{Assertion, usable_credentials, user_by_external_id};
use super::{CHALLENGE_BYTES, LoginOptions, LoginOutcome};
use crate::Engine;
use crate::audit::{FailureContext, RequestMeta, audit_event};
use crate::engine::{load_tenant, storable_text};
use crate::model::{TenantId, Transaction, UserId};
use crate::{Error, ReadTx, Result, Store, WriteTx};

/// Longest transaction identifier accepted, in characters.
pub const MAX_TRANSACTION_ID_CHARS: usize = 128;

/// A transaction to confirm.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTransaction {
    /// The tenant's external id of the user who confirms it.
    pub user_id: String,
    /// The tenant's identifier, unique per tenant.
    pub transaction_id: String,
    /// What the user confirms (any JSON); stored as canonical JSON and bound into the challenge.
    pub data: Value,
}

impl<S: Store> Engine<S> {
    /// Stores the transaction and starts its confirmation. The challenge is 32 random bytes
    /// followed by SHA-256(identifier ‖ data as canonical JSON).
    pub async fn start_transaction(
        &self,
        tenant: TenantId,
        transaction: NewTransaction,
        meta: &RequestMeta,
    ) -> Result<LoginOptions> {
        let now = self.now();
        let [succeeded, failed, ..] = Assertion::Transaction.events();
        let mut context = FailureContext::new(failed);
        context.actor = Some(transaction.user_id.clone());
        context.transaction = Some(transaction.transaction_id.clone());
        let result = async {
            let identifier = transaction.transaction_id;
            if identifier.is_empty() || identifier.chars().count() > MAX_TRANSACTION_ID_CHARS {
                return Err(Error::Invalid {
                    field: "transaction_id",
                    reason: format!("must have 1 to {MAX_TRANSACTION_ID_CHARS} characters"),
                });
            }
            storable_text("transaction_id", &identifier)?;
            let data = canonical_json(&transaction.data);
            let mut challenge = Vec::with_capacity(2 * CHALLENGE_BYTES);
            challenge.extend(self.challenge()?);
            let mut bound = Vec::with_capacity(identifier.len() + data.len());
            bound.extend_from_slice(identifier.as_bytes());
            bound.extend_from_slice(data.as_bytes());
            challenge.extend_from_slice(digest(&SHA256, &bound).as_ref());

            let tenant = self.cached_tenant(tenant).await?;
            context.audit_to(&tenant);
            let mut tx = self.store.write().await?;
            let user = user_by_external_id(&mut tx, tenant.id, &transaction.user_id).await?;
            let record = Transaction {
                id: Uuid::new_v4(),
                tenant: tenant.id,
                user: user.id,
                identifier,
                data,
                challenge: challenge.clone(),
                created_at: now,
                updated_at: now,
            };
            // Inserted before the credentials are looked at: a reused identifier is a conflict
            // whatever else is wrong, as in the original.
            tx.insert_transaction(&record).await?;
            let allowed =
                usable_credentials(&mut tx, tenant.id, user.id, Assertion::Transaction).await?;
            let options = self
                .issue_assertion(
                    &mut tx,
                    &tenant,
                    Assertion::Transaction,
                    challenge,
                    Some(user.id),
                    allowed,
                    Some(record.id),
                    ExtensionInputs::default(),
                    now,
                )
                .await?;
            let mut event = audit_event(
                tenant.id,
                succeeded,
                None,
                Some(user.external_id),
                meta,
                now,
            );
            event.transaction_id = Some(record.identifier);
            self.record_success(&mut tx, &tenant, event).await?;
            tx.commit().await?;
            Ok(options)
        }
        .await;
        self.audit_failure(result, tenant, context, meta, now).await
    }

    /// Verifies the confirmation of a transaction and signs a token whose `trans` claim names
    /// it. The transaction stays stored.
    pub async fn finish_transaction(
        &self,
        tenant: TenantId,
        response_json: &[u8],
        meta: &RequestMeta,
    ) -> Result<LoginOutcome> {
        self.finish_assertion(tenant, response_json, Assertion::Transaction, meta)
            .await
    }

    /// The transactions of a user, by latchkey's id of the user.
    pub async fn transactions(&self, tenant: TenantId, user: UserId) -> Result<Vec<Transaction>> {
        let mut tx = self.store.read().await?;
        load_tenant(&mut tx, tenant).await?;
        tx.transactions(tenant, user).await
    }
}

/// `value` as compact JSON with object keys sorted and `<`, `>`, `&`, U+2028 and U+2029
/// escaped: the form the original server stores and hashes, so that a client can recompute
/// the challenge's suffix the same way against either server.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) => out.push_str(&value.to_string()),
        Value::Number(number) => write_number(number, out),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by_key(|(key, _)| *key);
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// A number as the original prints it: it decodes JSON numbers into float64 and encodes them
/// the way ECMAScript turns numbers into text (`10.0` is `10`, `1e21` is `1e+21`, integers past
/// 2^53 lose their low digits).
fn write_number(number: &serde_json::Number, out: &mut String) {
    let Some(float) = number.as_f64() else {
        out.push_str(&number.to_string());
        return;
    };
    let magnitude = float.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        let text = format!("{float:e}");
        if let Some((mantissa, exponent)) = text.split_once('e') {
            out.push_str(mantissa);
            out.push('e');
            if !exponent.starts_with('-') {
                out.push('+');
            }
            out.push_str(exponent);
            return;
        }
    }
    out.push_str(&float.to_string());
}

fn write_string(text: &str, out: &mut String) {
    let quoted = Value::String(text.to_owned()).to_string();
    for c in quoted.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_escapes_like_go() {
        let value = json!({"b": [1, 2.5, {"z": null, "a": true}], "a": "<x & y>\u{2028}"});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":"\u003cx \u0026 y\u003e\u2028","b":[1,2.5,{"a":true,"z":null}]}"#
        );
    }

    #[test]
    fn numbers_are_printed_as_go_prints_float64() {
        let cases = [
            ("10.0", "10"),
            ("-0.0", "-0"),
            ("12345678901234567890", "12345678901234567000"),
            ("1e20", "100000000000000000000"),
            ("1e21", "1e+21"),
            ("1.5e300", "1.5e+300"),
            ("0.000001", "0.000001"),
            ("0.0000015", "0.0000015"),
            ("1.5e-7", "1.5e-7"),
            ("-2.5e-10", "-2.5e-10"),
            ("0.1", "0.1"),
        ];
        for (input, expected) in cases {
            let value: Value = serde_json::from_str(input).unwrap();
            assert_eq!(canonical_json(&value), expected, "{input}");
        }
    }
}
