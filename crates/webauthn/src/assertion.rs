//! Authentication ceremony verification (WebAuthn L3 §7.2).

use serde::Serialize;

use crate::auth_data::{AuthenticatorData, Flags};
use crate::client_data::{self, Ceremony};
use crate::cose::CredentialPublicKey;
use crate::error::{Error, Result};
use crate::json::AuthenticationResponse;
use crate::policy::{BackupEligibilityPolicy, CounterPolicy, Policy, RelyingParty};
use crate::registration::sha256;

/// The credential as the relying party stored it at registration.
#[derive(Debug, Clone, Copy)]
pub struct StoredCredential<'a> {
    /// Credential ID.
    pub id: &'a [u8],
    /// Public key, parsed once when loaded.
    pub public_key: &'a CredentialPublicKey,
    /// Last signature counter seen.
    pub sign_count: u32,
    /// The BE flag at registration; it never changes for a credential.
    pub backup_eligible: bool,
    /// The user handle of the credential's owner.
    pub user_handle: &'a [u8],
}

/// What the server asked for when it started the ceremony.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssertionRequest<'a> {
    /// The challenge issued.
    pub challenge: &'a [u8],
    /// `allowCredentials`; empty for a discoverable-credential login.
    pub allow_credentials: &'a [Vec<u8>],
    /// The user handle of the user identified before the ceremony, if any.
    pub user_handle: Option<&'a [u8]>,
}

/// What the signature counter says about the authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterStatus {
    /// The counter increased.
    Increased,
    /// Both counters are zero: the authenticator has no counter (common for synced passkeys).
    NotSupported,
    /// A non-zero counter did not increase: the credential may have been cloned.
    PossibleClone,
}

/// A verified assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// The new signature counter to store.
    pub sign_count: u32,
    /// Counter verdict.
    pub counter: CounterStatus,
    /// Flags of this assertion.
    pub flags: Flags,
    /// Whether the credential is currently backed up (BS), which may change between logins.
    pub backup_state: bool,
    /// The backup-eligible flag differs from the registered one and policy let it pass.
    pub backup_eligibility_changed: bool,
}

/// Verifies an assertion for `credential`.
pub fn verify_assertion(
    rp: &RelyingParty,
    policy: &Policy,
    request: &AssertionRequest<'_>,
    response: &AuthenticationResponse,
    credential: &StoredCredential<'_>,
) -> Result<VerifiedAssertion> {
    if !request.allow_credentials.is_empty()
        && !request.allow_credentials.contains(&response.raw_id)
    {
        return Err(Error::CredentialNotAllowed);
    }
    if response.raw_id != credential.id {
        return Err(Error::CredentialIdMismatch);
    }
    match (request.user_handle, response.user_handle.as_deref()) {
        (Some(identified), returned) => {
            if identified != credential.user_handle || returned.is_some_and(|r| r != identified) {
                return Err(Error::UserHandleMismatch);
            }
        }
        (None, Some(returned)) if returned == credential.user_handle => {}
        (None, _) => return Err(Error::UserHandleMismatch),
    }

    client_data::verify(
        &response.client_data_json,
        Ceremony::Get,
        request.challenge,
        rp,
    )?;
    let auth_data = AuthenticatorData::parse_with(
        &response.authenticator_data,
        policy.max_credential_id_len,
        policy.cbor,
    )?;
    // Some platform authenticators (macOS Touch ID in Chrome, 2020) repeat the attested credential
    // data in assertions. It is signed like the rest, so accept it, as long as it names this credential.
    if auth_data
        .attested
        .as_ref()
        .is_some_and(|a| a.credential_id != credential.id)
    {
        return Err(Error::CredentialIdMismatch);
    }
    auth_data.check(rp, policy)?;
    let backup_eligibility_changed =
        auth_data.flags.backup_eligible() != credential.backup_eligible;
    if backup_eligibility_changed && policy.backup_eligibility == BackupEligibilityPolicy::Reject {
        return Err(Error::BackupFlags(
            "backup eligibility changed since registration",
        ));
    }

    let client_data_hash = sha256(&response.client_data_json);
    let mut signed = Vec::with_capacity(response.authenticator_data.len() + client_data_hash.len());
    signed.extend_from_slice(&response.authenticator_data);
    signed.extend_from_slice(&client_data_hash);
    credential
        .public_key
        .verify(&signed, &response.signature, "assertion")?;

    let counter = counter_status(credential.sign_count, auth_data.sign_count);
    if counter == CounterStatus::PossibleClone && policy.counter == CounterPolicy::Reject {
        return Err(Error::CounterRegression {
            stored: credential.sign_count,
            received: auth_data.sign_count,
        });
    }
    Ok(VerifiedAssertion {
        sign_count: auth_data.sign_count.max(credential.sign_count),
        counter,
        flags: auth_data.flags,
        backup_state: auth_data.flags.backup_state(),
        backup_eligibility_changed,
    })
}

/// §7.2 step 22: if either counter is non-zero, the new one must be greater.
fn counter_status(stored: u32, received: u32) -> CounterStatus {
    if stored == 0 && received == 0 {
        CounterStatus::NotSupported
    } else if received > stored {
        CounterStatus::Increased
    } else {
        CounterStatus::PossibleClone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_rule() {
        assert_eq!(counter_status(0, 0), CounterStatus::NotSupported);
        assert_eq!(counter_status(0, 1), CounterStatus::Increased);
        assert_eq!(counter_status(5, 6), CounterStatus::Increased);
        assert_eq!(counter_status(5, 5), CounterStatus::PossibleClone);
        assert_eq!(counter_status(5, 4), CounterStatus::PossibleClone);
        assert_eq!(counter_status(5, 0), CounterStatus::PossibleClone);
    }
}
