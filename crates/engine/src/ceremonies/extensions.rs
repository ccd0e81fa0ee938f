//! The extensions a ceremony asks for: the tenant's settings, plus what the caller of a start
//! adds for this one ceremony (PRF salts, a large blob to read or write), checked here.

use std::collections::BTreeMap;

pub use latchkey_webauthn::{ClientExtensionResults, MAX_LARGE_BLOB_LEN, PrfValues};

use crate::model::{CredentialProtection, ExtensionSettings, Hint, LargeBlobSupport};
use crate::{Error, Result};

/// Longest PRF salt a caller may give, in bytes. WebAuthn sets no limit; clients hash salts
/// to 32 bytes before the authenticator sees them, so anything longer only costs space.
pub const MAX_PRF_SALT_BYTES: usize = 256;

/// What the caller of a start asks for this one ceremony.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtensionInputs {
    /// `prf`: salts to evaluate the credential's PRF at.
    pub prf: Option<PrfInput>,
    /// `largeBlob` at login: read the blob, or write one.
    pub large_blob: Option<LargeBlobAccess>,
}

/// PRF salts (`prf.eval`, `prf.evalByCredential`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrfInput {
    /// Salts for whichever credential answers.
    pub eval: Option<PrfValues>,
    /// Salts per credential ID (login only; each ID must be one the login allows).
    pub eval_by_credential: BTreeMap<Vec<u8>, PrfValues>,
}

/// What a login does with the credential's large blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LargeBlobAccess {
    /// `largeBlob.read`.
    Read,
    /// `largeBlob.write`: needs a login that allows exactly one credential.
    Write(Vec<u8>),
}

/// The `extensions` member of a ceremony's options, as the engine decided it. A dialect writes
/// it in WebAuthn's JSON form; an empty one is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestedExtensions {
    /// `credProps: true`.
    pub cred_props: bool,
    /// `credentialProtectionPolicy`, always with `enforceCredentialProtectionPolicy: true`.
    pub credential_protection: Option<CredentialProtection>,
    /// `minPinLength: true`.
    pub min_pin_length: bool,
    /// `largeBlob`.
    pub large_blob: Option<LargeBlobRequest>,
    /// `prf`.
    pub prf: Option<PrfInput>,
}

impl RequestedExtensions {
    /// Whether nothing is asked: the options carry no `extensions`.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The `largeBlob` member of options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LargeBlobRequest {
    /// At registration: `{"support": ...}`.
    Support(LargeBlobSupport),
    /// At login: `{"read": true}` or `{"write": ...}`.
    Access(LargeBlobAccess),
}

/// The options' extensions and hints of a registration with `settings` and `inputs`.
pub(super) fn for_registration(
    settings: &ExtensionSettings,
    inputs: ExtensionInputs,
) -> Result<(RequestedExtensions, Vec<Hint>)> {
    if inputs.large_blob.is_some() {
        return Err(invalid(
            "extensions.largeBlob",
            "a registration cannot read or write a large blob",
        ));
    }
    let prf = match inputs.prf {
        Some(prf) => {
            if !prf.eval_by_credential.is_empty() {
                return Err(invalid(
                    "extensions.prf.evalByCredential",
                    "a registration has no credentials to evaluate by",
                ));
            }
            check_salts("extensions.prf.eval", prf.eval.as_ref())?;
            Some(prf)
        }
        None => settings.prf.then(PrfInput::default),
    };
    let requested = RequestedExtensions {
        cred_props: settings.cred_props,
        credential_protection: settings.credential_protection,
        min_pin_length: settings.min_pin_length,
        large_blob: settings.large_blob.map(LargeBlobRequest::Support),
        prf,
    };
    Ok((requested, hints(&settings.hints)))
}

/// The options' extensions and hints of a login with `settings` that allows `allowed`
/// credentials (none for a discoverable login).
pub(super) fn for_login(
    settings: &ExtensionSettings,
    inputs: ExtensionInputs,
    allowed: &[Vec<u8>],
) -> Result<(RequestedExtensions, Vec<Hint>)> {
    if let Some(prf) = &inputs.prf {
        check_salts("extensions.prf.eval", prf.eval.as_ref())?;
        for (id, salts) in &prf.eval_by_credential {
            if !allowed.contains(id) {
                return Err(invalid(
                    "extensions.prf.evalByCredential",
                    "names a credential the login does not allow",
                ));
            }
            check_salts("extensions.prf.evalByCredential", Some(salts))?;
        }
    }
    if let Some(LargeBlobAccess::Write(blob)) = &inputs.large_blob {
        if allowed.len() != 1 {
            return Err(invalid(
                "extensions.largeBlob.write",
                "a login that writes a large blob must allow exactly one credential",
            ));
        }
        if blob.len() > MAX_LARGE_BLOB_LEN {
            return Err(invalid(
                "extensions.largeBlob.write",
                format!("longer than {MAX_LARGE_BLOB_LEN} bytes"),
            ));
        }
    }
    let requested = RequestedExtensions {
        large_blob: inputs.large_blob.map(LargeBlobRequest::Access),
        prf: inputs.prf,
        ..RequestedExtensions::default()
    };
    Ok((requested, hints(&settings.hints)))
}

/// The hints in order, each once: the first of duplicates is the one that counts.
fn hints(configured: &[Hint]) -> Vec<Hint> {
    let mut hints = Vec::with_capacity(configured.len());
    for hint in configured {
        if !hints.contains(hint) {
            hints.push(*hint);
        }
    }
    hints
}

fn check_salts(field: &'static str, salts: Option<&PrfValues>) -> Result<()> {
    let Some(salts) = salts else {
        return Ok(());
    };
    let too_long = |salt: &[u8]| salt.len() > MAX_PRF_SALT_BYTES;
    if too_long(&salts.first) || salts.second.as_deref().is_some_and(too_long) {
        return Err(invalid(
            field,
            format!("a salt is longer than {MAX_PRF_SALT_BYTES} bytes"),
        ));
    }
    Ok(())
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn salts(first: &[u8]) -> PrfValues {
        PrfValues {
            first: first.to_vec(),
            second: None,
        }
    }

    #[test]
    fn registration_asks_for_cred_props_and_the_configured_extensions() {
        let settings = ExtensionSettings {
            cred_props: true,
            credential_protection: Some(CredentialProtection::UserVerificationRequired),
            hints: vec![Hint::SecurityKey, Hint::Hybrid, Hint::SecurityKey],
            min_pin_length: true,
            large_blob: Some(LargeBlobSupport::Preferred),
            prf: true,
        };
        let (requested, hints) = for_registration(&settings, ExtensionInputs::default()).unwrap();
        assert!(requested.cred_props && requested.min_pin_length);
        assert_eq!(
            requested.credential_protection,
            Some(CredentialProtection::UserVerificationRequired)
        );
        assert_eq!(
            requested.large_blob,
            Some(LargeBlobRequest::Support(LargeBlobSupport::Preferred))
        );
        assert_eq!(requested.prf, Some(PrfInput::default()));
        assert_eq!(hints, [Hint::SecurityKey, Hint::Hybrid]);
    }

    #[test]
    fn without_settings_a_registration_asks_for_nothing() {
        let (requested, hints) =
            for_registration(&ExtensionSettings::default(), ExtensionInputs::default()).unwrap();
        assert!(requested.is_empty() && hints.is_empty());
    }

    #[test]
    fn registration_refuses_what_only_a_login_can_carry() {
        let settings = ExtensionSettings::default();
        let by_credential = ExtensionInputs {
            prf: Some(PrfInput {
                eval: None,
                eval_by_credential: BTreeMap::from([(vec![1], salts(b"s"))]),
            }),
            large_blob: None,
        };
        assert!(for_registration(&settings, by_credential).is_err());
        let read = ExtensionInputs {
            prf: None,
            large_blob: Some(LargeBlobAccess::Read),
        };
        assert!(for_registration(&settings, read).is_err());
    }

    #[test]
    fn login_salts_must_name_allowed_credentials_and_stay_short() {
        let settings = ExtensionSettings::default();
        let by = |id: &[u8], salt: &[u8]| ExtensionInputs {
            prf: Some(PrfInput {
                eval: None,
                eval_by_credential: BTreeMap::from([(id.to_vec(), salts(salt))]),
            }),
            large_blob: None,
        };
        let allowed = [vec![1], vec![2]];
        let (requested, _) = for_login(&settings, by(&[2], b"salt"), &allowed).unwrap();
        assert!(requested.prf.is_some() && !requested.cred_props);
        assert!(for_login(&settings, by(&[3], b"salt"), &allowed).is_err());
        assert!(for_login(&settings, by(&[1], b"salt"), &[]).is_err());
        let long = vec![0; MAX_PRF_SALT_BYTES + 1];
        assert!(for_login(&settings, by(&[1], &long), &allowed).is_err());
    }

    #[test]
    fn a_large_blob_write_needs_exactly_one_allowed_credential() {
        let settings = ExtensionSettings::default();
        let write = |blob: Vec<u8>| ExtensionInputs {
            prf: None,
            large_blob: Some(LargeBlobAccess::Write(blob)),
        };
        assert!(for_login(&settings, write(vec![1]), &[vec![1]]).is_ok());
        assert!(for_login(&settings, write(vec![1]), &[vec![1], vec![2]]).is_err());
        assert!(
            for_login(
                &settings,
                write(vec![0; MAX_LARGE_BLOB_LEN + 1]),
                &[vec![1]]
            )
            .is_err()
        );
        let read = ExtensionInputs {
            prf: None,
            large_blob: Some(LargeBlobAccess::Read),
        };
        assert!(for_login(&settings, read, &[]).is_ok());
    }
}
