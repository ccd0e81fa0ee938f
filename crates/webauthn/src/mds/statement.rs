//! One BLOB entry: the authenticator's identifiers, its metadata statement and its status history.

use std::fmt;

use base64::Engine as _;
use serde::Deserialize;

use super::FIELD;
use crate::auth_data::Aaguid;
use crate::error::{Error, Result};
use crate::time::UnixTime;
use crate::x509;

/// What metadata knows about one authenticator model.
#[derive(Debug, Clone)]
pub struct MetadataEntry {
    aaid: Option<String>,
    aaguid: Option<Aaguid>,
    key_identifiers: Vec<[u8; 20]>,
    statement: Option<MetadataStatement>,
    root_certificates: Vec<Vec<u8>>,
    status_reports: Vec<StatusReport>,
    time_of_last_status_change: UnixTime,
}

/// The metadata statement of an entry: the fields this crate reads, plus the whole statement as
/// published for everything else (FIDO Metadata Statement 3.0 §4).
#[derive(Debug, Clone)]
pub struct MetadataStatement {
    /// The model's name, in English.
    pub description: String,
    /// The firmware version the statement describes.
    pub authenticator_version: u64,
    /// `fido2`, `u2f` or `uaf`.
    pub protocol_family: String,
    /// `basic_full`, `basic_surrogate`, `attca`, `anonca`, `none`, ...
    pub attestation_types: Vec<String>,
    /// The ways to verify the user: alternatives, each a set of methods used together.
    pub user_verification_details: Option<Vec<Vec<VerificationMethod>>>,
    /// A `data:` URL of the model's icon.
    pub icon: Option<String>,
    raw: serde_json::Value,
}

/// One user verification method of [`MetadataStatement::user_verification_details`].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMethod {
    /// `presence_internal`, `fingerprint_internal`, `passcode_external`, `none`, ...
    pub user_verification_method: String,
}

/// One status report of an entry (FIDO MDS 3.0 §3.1.3).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The status.
    pub status: AuthenticatorStatus,
    /// Midnight UTC of the day the status took effect; absent means it is in effect now.
    #[serde(default, deserialize_with = "super::optional_date")]
    pub effective_date: Option<UnixTime>,
    /// The firmware version the report applies to.
    pub authenticator_version: Option<u64>,
    /// A certificate the status is about (base64 DER), e.g. a compromised attestation key's.
    pub certificate: Option<String>,
    /// Where to read more (a security notice, a certificate).
    pub url: Option<String>,
    /// The certified product as the certificate names it.
    pub certification_descriptor: Option<String>,
    /// The certificate number.
    pub certificate_number: Option<String>,
    /// The certification policy version.
    pub certification_policy_version: Option<String>,
    /// The certification requirements version.
    pub certification_requirements_version: Option<String>,
}

/// The status of an authenticator model (FIDO MDS 3.0 §3.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(from = "String")]
pub enum AuthenticatorStatus {
    /// `NOT_FIDO_CERTIFIED`
    NotFidoCertified,
    /// `FIDO_CERTIFIED`
    FidoCertified,
    /// `USER_VERIFICATION_BYPASS`: malware can make the authenticator skip user verification.
    UserVerificationBypass,
    /// `ATTESTATION_KEY_COMPROMISE`: the attestation key is known to an attacker.
    AttestationKeyCompromise,
    /// `USER_KEY_REMOTE_COMPROMISE`: credential keys can be extracted remotely.
    UserKeyRemoteCompromise,
    /// `USER_KEY_PHYSICAL_COMPROMISE`: credential keys can be extracted with physical access.
    UserKeyPhysicalCompromise,
    /// `UPDATE_AVAILABLE`
    UpdateAvailable,
    /// `REVOKED`: the FIDO Alliance revoked the model's certification.
    Revoked,
    /// `SELF_ASSERTION_SUBMITTED`
    SelfAssertionSubmitted,
    /// `FIDO_CERTIFIED_L1`
    FidoCertifiedL1,
    /// `FIDO_CERTIFIED_L1plus`
    FidoCertifiedL1Plus,
    /// `FIDO_CERTIFIED_L2`
    FidoCertifiedL2,
    /// `FIDO_CERTIFIED_L2plus`
    FidoCertifiedL2Plus,
    /// `FIDO_CERTIFIED_L3`
    FidoCertifiedL3,
    /// `FIDO_CERTIFIED_L3plus`
    FidoCertifiedL3Plus,
    /// A status defined after this crate was written.
    Unknown(String),
}

/// A FIDO certification level, in the order of strictness (FIDO MDS 3.0 §3.1.4: each level is
/// "more strict than" the one before).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CertificationLevel {
    /// `FIDO_CERTIFIED_L1`, and the older `FIDO_CERTIFIED` it replaced.
    L1,
    /// `FIDO_CERTIFIED_L1plus`
    L1Plus,
    /// `FIDO_CERTIFIED_L2`
    L2,
    /// `FIDO_CERTIFIED_L2plus`
    L2Plus,
    /// `FIDO_CERTIFIED_L3`
    L3,
    /// `FIDO_CERTIFIED_L3plus`
    L3Plus,
}

/// The statuses under which no new registration of the model should be accepted.
const COMPROMISED: [AuthenticatorStatus; 5] = [
    AuthenticatorStatus::Revoked,
    AuthenticatorStatus::AttestationKeyCompromise,
    AuthenticatorStatus::UserVerificationBypass,
    AuthenticatorStatus::UserKeyRemoteCompromise,
    AuthenticatorStatus::UserKeyPhysicalCompromise,
];

impl AuthenticatorStatus {
    /// The name as MDS writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::NotFidoCertified => "NOT_FIDO_CERTIFIED",
            Self::FidoCertified => "FIDO_CERTIFIED",
            Self::UserVerificationBypass => "USER_VERIFICATION_BYPASS",
            Self::AttestationKeyCompromise => "ATTESTATION_KEY_COMPROMISE",
            Self::UserKeyRemoteCompromise => "USER_KEY_REMOTE_COMPROMISE",
            Self::UserKeyPhysicalCompromise => "USER_KEY_PHYSICAL_COMPROMISE",
            Self::UpdateAvailable => "UPDATE_AVAILABLE",
            Self::Revoked => "REVOKED",
            Self::SelfAssertionSubmitted => "SELF_ASSERTION_SUBMITTED",
            Self::FidoCertifiedL1 => "FIDO_CERTIFIED_L1",
            Self::FidoCertifiedL1Plus => "FIDO_CERTIFIED_L1plus",
            Self::FidoCertifiedL2 => "FIDO_CERTIFIED_L2",
            Self::FidoCertifiedL2Plus => "FIDO_CERTIFIED_L2plus",
            Self::FidoCertifiedL3 => "FIDO_CERTIFIED_L3",
            Self::FidoCertifiedL3Plus => "FIDO_CERTIFIED_L3plus",
            Self::Unknown(name) => name,
        }
    }

    /// Whether the status means the model must not be trusted for new registrations: revoked,
    /// or a compromise of its attestation key, user verification or credential keys.
    pub fn is_compromised(&self) -> bool {
        COMPROMISED.contains(self)
    }

    /// The certification level the status grants, if it is a FIDO certification. The legacy
    /// `FIDO_CERTIFIED` has no level of its own; like webauthn-rs, latchkey counts it as L1, the
    /// level that replaced it.
    pub fn certification_level(&self) -> Option<CertificationLevel> {
        match self {
            Self::FidoCertified | Self::FidoCertifiedL1 => Some(CertificationLevel::L1),
            Self::FidoCertifiedL1Plus => Some(CertificationLevel::L1Plus),
            Self::FidoCertifiedL2 => Some(CertificationLevel::L2),
            Self::FidoCertifiedL2Plus => Some(CertificationLevel::L2Plus),
            Self::FidoCertifiedL3 => Some(CertificationLevel::L3),
            Self::FidoCertifiedL3Plus => Some(CertificationLevel::L3Plus),
            _ => None,
        }
    }
}

impl From<String> for AuthenticatorStatus {
    fn from(name: String) -> Self {
        match name.as_str() {
            "NOT_FIDO_CERTIFIED" => Self::NotFidoCertified,
            "FIDO_CERTIFIED" => Self::FidoCertified,
            "USER_VERIFICATION_BYPASS" => Self::UserVerificationBypass,
            "ATTESTATION_KEY_COMPROMISE" => Self::AttestationKeyCompromise,
            "USER_KEY_REMOTE_COMPROMISE" => Self::UserKeyRemoteCompromise,
            "USER_KEY_PHYSICAL_COMPROMISE" => Self::UserKeyPhysicalCompromise,
            "UPDATE_AVAILABLE" => Self::UpdateAvailable,
            "REVOKED" => Self::Revoked,
            "SELF_ASSERTION_SUBMITTED" => Self::SelfAssertionSubmitted,
            "FIDO_CERTIFIED_L1" => Self::FidoCertifiedL1,
            "FIDO_CERTIFIED_L1plus" => Self::FidoCertifiedL1Plus,
            "FIDO_CERTIFIED_L2" => Self::FidoCertifiedL2,
            "FIDO_CERTIFIED_L2plus" => Self::FidoCertifiedL2Plus,
            "FIDO_CERTIFIED_L3" => Self::FidoCertifiedL3,
            "FIDO_CERTIFIED_L3plus" => Self::FidoCertifiedL3Plus,
            _ => Self::Unknown(name),
        }
    }
}

impl fmt::Display for AuthenticatorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl MetadataEntry {
    /// The AAID (UAF authenticators).
    pub fn aaid(&self) -> Option<&str> {
        self.aaid.as_deref()
    }

    /// The AAGUID (FIDO2 authenticators).
    pub fn aaguid(&self) -> Option<Aaguid> {
        self.aaguid
    }

    /// The attestation certificate key identifiers (U2F authenticators).
    pub fn key_identifiers(&self) -> &[[u8; 20]] {
        &self.key_identifiers
    }

    /// The metadata statement.
    pub fn statement(&self) -> Option<&MetadataStatement> {
        self.statement.as_ref()
    }

    /// The roots (DER) this model's attestation chains end at.
    pub fn root_certificates(&self) -> &[Vec<u8>] {
        &self.root_certificates
    }

    /// Every status report, as published.
    pub fn status_reports(&self) -> &[StatusReport] {
        &self.status_reports
    }

    /// Midnight UTC of the day the status reports last changed.
    pub fn time_of_last_status_change(&self) -> UnixTime {
        self.time_of_last_status_change
    }

    /// The current status: the report with the latest effective date, a later report in the list
    /// winning a tie.
    pub fn status(&self) -> Option<&AuthenticatorStatus> {
        latest(self.status_reports.iter()).map(|r| &r.status)
    }

    /// The latest compromise-class status of any report, even one a later report follows.
    /// A later certification or firmware update does not undo a leaked attestation key, and
    /// devices with the old firmware keep the same AAGUID.
    pub fn compromised_status(&self) -> Option<&AuthenticatorStatus> {
        latest(
            self.status_reports
                .iter()
                .filter(|r| r.status.is_compromised()),
        )
        .map(|r| &r.status)
    }

    /// The model's certification level at `now`: none if a report in effect says the model is
    /// compromised or revoked, else the highest level among the reports in effect. A report is
    /// in effect from its `effectiveDate` on, or always when it has none.
    ///
    /// The latest report alone would not do: it is often `UPDATE_AVAILABLE` or
    /// `SELF_ASSERTION_SUBMITTED`, and entries list `FIDO_CERTIFIED` beside a later level. A
    /// compromise is never undone by a later report (see [`Self::compromised_status`]).
    pub fn certification_level(&self, now: UnixTime) -> Option<CertificationLevel> {
        let in_effect = || {
            self.status_reports
                .iter()
                .filter(move |r| r.effective_date.is_none_or(|date| date <= now))
        };
        if in_effect().any(|r| r.status.is_compromised()) {
            return None;
        }
        in_effect()
            .filter_map(|r| r.status.certification_level())
            .max()
    }

    pub(super) fn from_wire(wire: WireEntry) -> Result<Self> {
        let aaguid = wire
            .aaguid
            .as_deref()
            .map(|text| Aaguid::parse(text).ok_or(Error::malformed(FIELD, "aaguid is not a UUID")))
            .transpose()?;
        let key_identifiers = wire
            .attestation_certificate_key_identifiers
            .iter()
            .map(|hex| {
                key_identifier(hex).ok_or(Error::malformed(
                    FIELD,
                    "attestationCertificateKeyIdentifiers entry is not 40 hex digits",
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let (statement, root_certificates) = match wire.metadata_statement {
            Some(raw) => {
                let (statement, roots) = MetadataStatement::from_raw(raw)?;
                (Some(statement), roots)
            }
            None => (None, Vec::new()),
        };
        Ok(Self {
            aaid: wire.aaid,
            aaguid,
            key_identifiers,
            statement,
            root_certificates,
            status_reports: wire.status_reports,
            time_of_last_status_change: wire.time_of_last_status_change,
        })
    }
}

impl MetadataStatement {
    /// The statement exactly as the BLOB carries it.
    pub fn raw(&self) -> &serde_json::Value {
        &self.raw
    }

    /// The statement and its attestation roots, decoded and parsed.
    fn from_raw(raw: serde_json::Value) -> Result<(Self, Vec<Vec<u8>>)> {
        let typed = TypedStatement::deserialize(&raw)
            .map_err(|_| Error::malformed(FIELD, "metadataStatement does not match the schema"))?;
        let roots = typed
            .attestation_root_certificates
            .iter()
            .map(|b64| {
                // The FIDO Alliance's own BLOB wraps and pads some of these with whitespace.
                let b64: String = b64.split_ascii_whitespace().collect();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|_| Error::Base64("attestationRootCertificates"))?;
                x509::Certificate::parse(&der)?;
                Ok(der)
            })
            .collect::<Result<Vec<_>>>()?;
        let statement = Self {
            description: typed.description,
            authenticator_version: typed.authenticator_version,
            protocol_family: typed.protocol_family,
            attestation_types: typed.attestation_types,
            user_verification_details: typed.user_verification_details,
            icon: typed.icon,
            raw,
        };
        Ok((statement, roots))
    }
}

/// An entry as the BLOB writes it, before identifiers and certificates are decoded.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireEntry {
    aaid: Option<String>,
    aaguid: Option<String>,
    #[serde(default)]
    attestation_certificate_key_identifiers: Vec<String>,
    metadata_statement: Option<serde_json::Value>,
    status_reports: Vec<StatusReport>,
    #[serde(deserialize_with = "super::date")]
    time_of_last_status_change: UnixTime,
}

/// The statement fields this crate types; the roots end up decoded on the entry, not here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypedStatement {
    description: String,
    authenticator_version: u64,
    protocol_family: String,
    attestation_types: Vec<String>,
    attestation_root_certificates: Vec<String>,
    user_verification_details: Option<Vec<Vec<VerificationMethod>>>,
    icon: Option<String>,
}

/// The report in effect last; an undated one is in effect now, so it ranks above dated ones.
fn latest<'a>(reports: impl Iterator<Item = &'a StatusReport>) -> Option<&'a StatusReport> {
    reports
        .enumerate()
        .max_by_key(|(index, r)| (r.effective_date.is_none(), r.effective_date, *index))
        .map(|(_, r)| r)
}

fn key_identifier(hex: &str) -> Option<[u8; 20]> {
    if hex.len() != 40 {
        return None;
    }
    let mut out = [0u8; 20];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let [high, low] = pair else {
            return None;
        };
        let digit = |b: u8| char::from(b).to_digit(16);
        *byte = u8::try_from((digit(*high)? << 4) | digit(*low)?).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: &str, date: Option<i64>) -> StatusReport {
        StatusReport {
            status: AuthenticatorStatus::from(status.to_owned()),
            effective_date: date.map(UnixTime),
            authenticator_version: None,
            certificate: None,
            url: None,
            certification_descriptor: None,
            certificate_number: None,
            certification_policy_version: None,
            certification_requirements_version: None,
        }
    }

    #[test]
    fn latest_report_orders_by_date_then_list_position() {
        let reports = [
            report("FIDO_CERTIFIED_L2", Some(20)),
            report("FIDO_CERTIFIED", Some(10)),
            report("FIDO_CERTIFIED_L1", Some(20)),
        ];
        assert_eq!(
            latest(reports.iter()).map(|r| &r.status),
            Some(&AuthenticatorStatus::FidoCertifiedL1)
        );
        let undated = [report("REVOKED", None), report("FIDO_CERTIFIED", Some(10))];
        assert_eq!(
            latest(undated.iter()).map(|r| &r.status),
            Some(&AuthenticatorStatus::Revoked)
        );
    }

    fn entry(reports: Vec<StatusReport>) -> MetadataEntry {
        MetadataEntry {
            aaid: None,
            aaguid: None,
            key_identifiers: Vec::new(),
            statement: None,
            root_certificates: Vec::new(),
            status_reports: reports,
            time_of_last_status_change: UnixTime(0),
        }
    }

    const NOW: UnixTime = UnixTime(1_000);

    #[test]
    fn a_model_with_no_certification_report_has_no_level() {
        assert_eq!(entry(vec![]).certification_level(NOW), None);
        let uncertified = entry(vec![
            report("NOT_FIDO_CERTIFIED", Some(10)),
            report("SELF_ASSERTION_SUBMITTED", None),
            report("UPDATE_AVAILABLE", Some(20)),
        ]);
        assert_eq!(uncertified.certification_level(NOW), None);
    }

    #[test]
    fn the_highest_level_in_effect_counts_and_fido_certified_is_l1() {
        let legacy = entry(vec![report("FIDO_CERTIFIED", Some(10))]);
        assert_eq!(
            legacy.certification_level(NOW),
            Some(CertificationLevel::L1)
        );
        // Listed beside the legacy status, and followed by a report that is no level at all.
        let both = entry(vec![
            report("FIDO_CERTIFIED_L2", Some(20)),
            report("FIDO_CERTIFIED", Some(30)),
            report("UPDATE_AVAILABLE", Some(40)),
        ]);
        assert_eq!(both.certification_level(NOW), Some(CertificationLevel::L2));
        let undated = entry(vec![report("FIDO_CERTIFIED_L1plus", None)]);
        assert_eq!(
            undated.certification_level(NOW),
            Some(CertificationLevel::L1Plus)
        );
    }

    #[test]
    fn a_report_dated_in_the_future_is_not_yet_in_effect() {
        let upcoming = entry(vec![
            report("FIDO_CERTIFIED_L1", Some(10)),
            report("FIDO_CERTIFIED_L3", Some(NOW.0 + 1)),
        ]);
        assert_eq!(
            upcoming.certification_level(NOW),
            Some(CertificationLevel::L1)
        );
        assert_eq!(
            upcoming.certification_level(UnixTime(NOW.0 + 1)),
            Some(CertificationLevel::L3)
        );
        let not_yet = entry(vec![report("FIDO_CERTIFIED_L2", Some(NOW.0 + 86_400))]);
        assert_eq!(not_yet.certification_level(NOW), None);
        let revoked_later = entry(vec![
            report("FIDO_CERTIFIED_L2", Some(10)),
            report("REVOKED", Some(NOW.0 + 86_400)),
        ]);
        assert_eq!(
            revoked_later.certification_level(NOW),
            Some(CertificationLevel::L2)
        );
    }

    #[test]
    fn a_compromise_in_effect_leaves_no_level_even_before_a_later_certification() {
        let compromised_after = entry(vec![
            report("FIDO_CERTIFIED_L2", Some(10)),
            report("ATTESTATION_KEY_COMPROMISE", Some(20)),
        ]);
        assert_eq!(compromised_after.certification_level(NOW), None);
        let certified_after = entry(vec![
            report("USER_VERIFICATION_BYPASS", Some(10)),
            report("UPDATE_AVAILABLE", Some(20)),
            report("FIDO_CERTIFIED_L3plus", Some(30)),
        ]);
        assert_eq!(certified_after.certification_level(NOW), None);
        let revoked = entry(vec![
            report("FIDO_CERTIFIED_L1", None),
            report("REVOKED", None),
        ]);
        assert_eq!(revoked.certification_level(NOW), None);
    }

    #[test]
    fn levels_order_by_strictness() {
        use CertificationLevel::*;
        assert!(L1 < L1Plus && L1Plus < L2 && L2 < L2Plus && L2Plus < L3 && L3 < L3Plus);
    }

    #[test]
    fn key_identifiers_are_exactly_40_hex_digits() {
        let mut expected = [0u8; 20];
        expected[0] = 0xab;
        expected[19] = 0x0F;
        assert_eq!(
            key_identifier("AB0000000000000000000000000000000000000f"),
            Some(expected)
        );
        assert_eq!(key_identifier("ab00"), None);
        assert_eq!(
            key_identifier("+b0000000000000000000000000000000000000f"),
            None
        );
        assert_eq!(
            key_identifier("é00000000000000000000000000000000000000"),
            None
        );
    }
}
