//! The one error type of this crate: one variant per check that can fail, so callers and tests can
//! name the exact reason a payload was refused.

/// Why a WebAuthn payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field is not base64url as WebAuthn encodes it (URL-safe alphabet, no padding).
    #[error("{0} is not valid base64url")]
    Base64(&'static str),
    /// A field is longer than this crate accepts.
    #[error("{field} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The field, as WebAuthn names it.
        field: &'static str,
        /// The most bytes accepted for it.
        limit: usize,
    },
    /// A structure could not be decoded.
    #[error("malformed {field}: {reason}")]
    Malformed {
        /// The structure, as WebAuthn names it.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// `clientDataJSON.type` is not the ceremony's type.
    #[error("clientDataJSON type is not {expected}")]
    TypeMismatch {
        /// The type the ceremony expects: `webauthn.create` or `webauthn.get`.
        expected: &'static str,
    },
    /// `clientDataJSON.challenge` is not the challenge the server issued.
    #[error("challenge does not match the one issued")]
    ChallengeMismatch,
    /// `clientDataJSON.origin` is not one of the relying party's origins.
    #[error("origin is not allowed for this relying party")]
    OriginMismatch,
    /// The ceremony ran in a cross-origin iframe and policy forbids it, or its top origin is not allowed.
    #[error("cross-origin ceremony is not allowed")]
    CrossOriginNotAllowed,
    /// `rpIdHash` in authenticatorData is not SHA-256 of the RP ID.
    #[error("authenticator data is for another relying party (rpIdHash mismatch)")]
    RpIdHashMismatch,
    /// The UP flag is clear.
    #[error("user presence flag is not set")]
    UserNotPresent,
    /// The UV flag is clear but policy requires user verification.
    #[error("user verification was required but not performed")]
    UserNotVerified,
    /// BS set without BE, or BE changed after registration.
    #[error("backup flags are inconsistent: {0}")]
    BackupFlags(&'static str),

    /// The COSE algorithm is not one this crate implements.
    #[error("unsupported COSE algorithm {0}")]
    UnsupportedAlgorithm(i64),
    /// The algorithm is implemented but policy does not allow it (e.g. RS1 outside TPM/U2F).
    #[error("COSE algorithm {0} is not allowed by policy")]
    AlgorithmNotAllowed(i64),
    /// The attestation statement format is not one defined by WebAuthn.
    #[error("unsupported attestation statement format")]
    UnsupportedFormat,

    /// A signature did not verify.
    #[error("{0} signature is invalid")]
    BadSignature(&'static str),
    /// An attestation statement breaks a rule of its format.
    #[error("{fmt} attestation: {reason}")]
    BadAttestation {
        /// The attestation statement format identifier, such as `packed`.
        fmt: &'static str,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A certificate in a chain is not signed by the next one, or is not allowed to sign it.
    #[error("certificate chain is broken: {0}")]
    BrokenChain(&'static str),
    /// A certificate is outside its validity period at the verification time.
    #[error("certificate is expired or not yet valid")]
    CertificateExpired,
    /// A certificate breaks an RFC 5280 rule on its own (an unrecognised critical extension, an
    /// outer signature algorithm that differs from the signed one).
    #[error("certificate is not acceptable: {0}")]
    BadCertificate(&'static str),
    /// A CRL signed by the certificate's issuer lists it.
    #[error("certificate is revoked by its issuer")]
    CertificateRevoked,
    /// The attestation chain reaches no trust anchor and policy requires one.
    #[error("attestation is not trusted: the chain reaches no trust anchor")]
    Untrusted,
    /// A metadata BLOB's chain is trusted but its leaf is not the expected signer.
    #[error("metadata BLOB is not signed by the expected metadata service")]
    UnexpectedSigner,
    /// Metadata says the authenticator must not be trusted.
    #[error("authenticator status in metadata: {0}")]
    Revoked(String),

    /// The credential is not one the server allowed for this ceremony.
    #[error("credential is not allowed for this ceremony")]
    CredentialNotAllowed,
    /// The credential ID in the response does not match the authenticator data or stored credential.
    #[error("credential id does not match")]
    CredentialIdMismatch,
    /// The user handle does not belong to the credential's owner.
    #[error("user handle does not match the credential's owner")]
    UserHandleMismatch,
    /// The new credential's credProtect level is below the one policy requires, or the
    /// authenticator reported none.
    #[error("credential protection {} is below the required level {required}", received.map_or_else(|| "was not reported and".to_owned(), |level| format!("level {level}")))]
    CredentialProtectionTooLow {
        /// The least level policy accepts (1 to 3).
        required: u8,
        /// The level the authenticator data reported, if any.
        received: Option<u8>,
    },
    /// The signature counter did not increase: the authenticator may be cloned.
    #[error(
        "signature counter did not increase ({received} <= {stored}): possible cloned authenticator"
    )]
    CounterRegression {
        /// The counter stored from the credential's last use.
        stored: u32,
        /// The counter in this assertion.
        received: u32,
    },
}

impl Error {
    /// A short stable name for the failed check, used in machine-readable output.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Base64(_) | Self::TooLarge { .. } | Self::Malformed { .. } => "malformed",
            Self::TypeMismatch { .. } => "type_mismatch",
            Self::ChallengeMismatch => "challenge_mismatch",
            Self::OriginMismatch | Self::CrossOriginNotAllowed => "origin_mismatch",
            Self::RpIdHashMismatch => "rp_id_hash_mismatch",
            Self::UserNotPresent => "user_not_present",
            Self::UserNotVerified => "user_not_verified",
            Self::BackupFlags(_) => "backup_flags",
            Self::UnsupportedAlgorithm(_) | Self::UnsupportedFormat => "unsupported",
            Self::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            Self::BadSignature(_) => "bad_signature",
            Self::BadAttestation { .. } => "bad_attestation",
            Self::BrokenChain(_) => "broken_chain",
            Self::CertificateExpired => "certificate_expired",
            Self::BadCertificate(_) => "bad_certificate",
            Self::CertificateRevoked => "certificate_revoked",
            Self::Untrusted => "untrusted",
            Self::Revoked(_) => "revoked",
            Self::UnexpectedSigner => "unexpected_signer",
            Self::CredentialNotAllowed => "credential_not_allowed",
            Self::CredentialIdMismatch => "credential_id_mismatch",
            Self::UserHandleMismatch => "user_handle_mismatch",
            Self::CounterRegression { .. } => "counter_regression",
            Self::CredentialProtectionTooLow { .. } => "credential_protection",
        }
    }

    pub(crate) const fn malformed(field: &'static str, reason: &'static str) -> Self {
        Self::Malformed { field, reason }
    }

    pub(crate) const fn attestation(fmt: &'static str, reason: &'static str) -> Self {
        Self::BadAttestation { fmt, reason }
    }
}

/// The result of every fallible operation in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
