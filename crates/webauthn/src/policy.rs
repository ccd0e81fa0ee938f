//! What the relying party expects: its identity and origins, and how strict each check is.

use aws_lc_rs::digest;

use crate::cbor::CborLeniency;
use crate::cose::CoseAlgorithm;
use crate::extensions::CredentialProtection;

/// Whether the authenticator must verify the user (WebAuthn `UserVerificationRequirement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserVerification {
    /// UV must be set.
    Required,
    /// UV is asked for but not enforced.
    #[default]
    Preferred,
    /// UV is not asked for.
    Discouraged,
}

/// What to do when a non-zero signature counter does not increase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CounterPolicy {
    /// Refuse the assertion with [`crate::Error::CounterRegression`].
    #[default]
    Reject,
    /// Accept it and report [`crate::CounterStatus::PossibleClone`] so the caller can audit it.
    Report,
}

/// What to do when an assertion's backup-eligible flag differs from the registered one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackupEligibilityPolicy {
    /// Refuse the assertion with [`crate::Error::BackupFlags`], as WebAuthn L3 §7.2 step 20 lets
    /// a relying party do.
    #[default]
    Reject,
    /// Accept it and report [`crate::VerifiedAssertion::backup_eligibility_changed`] so the caller
    /// can audit it: some authenticators change the flag after a platform update.
    Report,
}

/// The relying party a ceremony is for: RP ID (with its hash, computed once) and allowed origins.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    id: String,
    id_hash: [u8; 32],
    origins: Vec<String>,
    top_origins: Vec<String>,
}

impl RelyingParty {
    /// A relying party with RP ID `id` whose ceremonies may come from `origins` (exact serialized
    /// origins such as `https://login.example.com` or `android:apk-key-hash:<base64url>`).
    pub fn new(
        id: impl Into<String>,
        origins: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let id = id.into();
        let mut id_hash = [0u8; 32];
        id_hash.copy_from_slice(digest::digest(&digest::SHA256, id.as_bytes()).as_ref());
        Self {
            id,
            id_hash,
            origins: origins.into_iter().map(Into::into).collect(),
            top_origins: Vec::new(),
        }
    }

    /// Allows ceremonies embedded in a cross-origin iframe whose top-level origin is one of `origins`.
    /// Without this, `crossOrigin: true` is refused.
    pub fn with_top_origins(
        mut self,
        origins: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.top_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// The RP ID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// SHA-256 of the RP ID, as authenticatorData carries it.
    pub fn id_hash(&self) -> &[u8; 32] {
        &self.id_hash
    }

    /// The allowed origins.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    pub(crate) fn allows_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    pub(crate) fn allows_top_origin(&self, origin: &str) -> bool {
        self.top_origins.iter().any(|o| o == origin)
    }
}

/// How strictly a ceremony is checked. The default is what WebAuthn L3 requires of a relying party.
#[derive(Debug, Clone)]
pub struct Policy {
    /// User verification requirement.
    pub user_verification: UserVerification,
    /// Algorithms a new credential may use. RS1 is never allowed for the credential key itself
    /// unless listed here; inside TPM and U2F attestation statements it is governed by
    /// `allow_sha1_attestation`.
    pub algorithms: Vec<CoseAlgorithm>,
    /// Accept SHA-1 in attestation statements and certificates (old TPMs).
    pub allow_sha1_attestation: bool,
    /// Longest credential ID accepted (WebAuthn L3: 1023).
    pub max_credential_id_len: usize,
    /// Refuse attestation whose chain reaches no trust anchor (self and none attestation included).
    pub require_trusted_attestation: bool,
    /// Signature-counter rule for assertions.
    pub counter: CounterPolicy,
    /// Rule for an assertion whose backup-eligible flag differs from the registered one.
    pub backup_eligibility: BackupEligibilityPolicy,
    /// How far the attestation object and authenticator data may depart from CTAP2 canonical
    /// CBOR. Duplicate keys and tags are refused whatever this says.
    pub cbor: CborLeniency,
    /// The least credProtect level a new credential's authenticator data must report; `None`
    /// accepts any, or none.
    pub credential_protection: Option<CredentialProtection>,
    danger_allow_missing_user_presence: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            user_verification: UserVerification::Preferred,
            algorithms: CoseAlgorithm::ALL
                .into_iter()
                .filter(|a| *a != CoseAlgorithm::Rs1)
                .collect(),
            allow_sha1_attestation: true,
            max_credential_id_len: 1023,
            require_trusted_attestation: false,
            counter: CounterPolicy::Reject,
            backup_eligibility: BackupEligibilityPolicy::Reject,
            cbor: CborLeniency::REAL_DEVICES,
            credential_protection: None,
            danger_allow_missing_user_presence: false,
        }
    }
}

impl Policy {
    /// Accepts ceremonies without the user-presence flag. Only for conformance tools that drive
    /// authenticators without a person; never for real logins.
    pub fn danger_allow_missing_user_presence(mut self) -> Self {
        self.danger_allow_missing_user_presence = true;
        self
    }

    pub(crate) fn requires_user_presence(&self) -> bool {
        !self.danger_allow_missing_user_presence
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_what_webauthn_asks_of_a_relying_party() {
        let policy = Policy::default();
        assert!(policy.requires_user_presence());
        assert_eq!(policy.user_verification, UserVerification::Preferred);
        assert_eq!(policy.max_credential_id_len, 1023);
        assert_eq!(policy.counter, CounterPolicy::Reject);
        // RS1 keys only where a deployment opts in; SHA-1 stays allowed inside TPM statements.
        assert!(!policy.algorithms.contains(&CoseAlgorithm::Rs1));
        assert!(policy.allow_sha1_attestation);
        assert!(
            !policy
                .danger_allow_missing_user_presence()
                .requires_user_presence()
        );
    }

    #[test]
    fn the_rp_id_hash_is_computed_once_at_construction() {
        let rp = RelyingParty::new("example.org", ["https://example.org"]);
        assert_eq!(
            rp.id_hash().as_slice(),
            digest::digest(&digest::SHA256, b"example.org").as_ref()
        );
    }
}
