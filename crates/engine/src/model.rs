//! The records the engine keeps. These are domain values, not wire shapes and not table rows.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A tenant: the isolation unit (its own RP, keys, users, credentials, audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TenantId(pub Uuid);

/// latchkey's own id of a user (the tenant's id for the user is [`User::external_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserId(pub Uuid);

/// A tenant and its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub display_name: String,
    pub kind: TenantKind,
    pub config: TenantConfig,
    pub created_at: OffsetDateTime,
}

/// What a tenant is. Only organisations are administered and reached by the Hanko dialect; a
/// realm is reached through its community (1Kosmos), with a license.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TenantKind {
    /// A tenant of its own: the admin API, API keys, its own signing keys.
    Organisation,
    /// The users and credentials of one community. Its tokens are signed with the
    /// organisation's keys and name the community.
    Realm {
        organisation: TenantId,
        /// The community's id (24 hex digits).
        community: String,
    },
}

impl TenantKind {
    /// The tenant whose keys sign this tenant's tokens: `id` itself or the realm's organisation.
    pub fn signer(&self, id: TenantId) -> TenantId {
        match self {
            Self::Organisation => id,
            Self::Realm { organisation, .. } => *organisation,
        }
    }

    /// The community of a realm.
    pub fn community(&self) -> Option<&str> {
        match self {
            Self::Organisation => None,
            Self::Realm { community, .. } => Some(community),
        }
    }
}

/// Everything a tenant configures. Stored as one document: it is read whole on every request
/// and replaced whole by the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantConfig {
    pub relying_party: RelyingPartyConfig,
    /// Settings for passkey registration and login.
    pub passkey: AuthenticatorSettings,
    /// Settings for the MFA (second factor) flows.
    pub mfa: AuthenticatorSettings,
    pub cors: CorsConfig,
    pub audit: AuditConfig,
    /// What a non-increasing signature counter does.
    pub counter: CounterRule,
    /// What a login whose backup-eligible flag differs from the registered one does.
    #[serde(default)]
    pub backup_eligibility: BackupEligibilityRule,
    /// How long a discoverable login may wait for its answer, in milliseconds.
    #[serde(default = "default_discoverable_timeout_ms")]
    pub discoverable_timeout_ms: u32,
    /// Algorithm of newly created token-signing keys.
    pub signing_algorithm: SigningAlgorithm,
    /// Modulus size of newly created RS256 keys: 2048, 3072 or 4096.
    #[serde(default = "default_rsa_bits")]
    pub rsa_bits: u32,
}

fn default_rsa_bits() -> u32 {
    2048
}

fn default_discoverable_timeout_ms() -> u32 {
    DEFAULT_DISCOVERABLE_TIMEOUT_MS
}

impl TenantConfig {
    /// A configuration with the original server's defaults: passkeys require user verification
    /// and a resident key and ask for direct attestation; MFA prefers user verification, wants
    /// a roaming authenticator and no resident key; both time out after five minutes. CORS
    /// allows the web origins among `origins`; every audit event is stored; a counter that does
    /// not increase refuses the login, a changed backup-eligible flag is accepted and audited;
    /// discoverable logins wait an hour; tokens are signed with RS256 over a 2048-bit key.
    pub fn new(rp_id: &str, rp_name: &str, origins: Vec<String>) -> Self {
        let passkey = AuthenticatorSettings {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            user_verification: UserVerification::Required,
            attachment: None,
            attestation: AttestationPreference::Direct,
            resident_key: ResidentKey::Required,
        };
        let cors_origins = origins
            .iter()
            .filter(|origin| origin.starts_with("http://") || origin.starts_with("https://"))
            .cloned()
            .collect();
        Self {
            relying_party: RelyingPartyConfig {
                id: rp_id.to_owned(),
                display_name: rp_name.to_owned(),
                icon: None,
                origins,
            },
            mfa: AuthenticatorSettings::mfa_defaults(passkey.timeout_ms),
            passkey,
            cors: CorsConfig {
                allowed_origins: cors_origins,
                allow_unsafe_wildcard: false,
            },
            audit: AuditConfig {
                store: true,
                console: false,
            },
            counter: CounterRule::Reject,
            backup_eligibility: BackupEligibilityRule::AuditOnly,
            discoverable_timeout_ms: DEFAULT_DISCOVERABLE_TIMEOUT_MS,
            signing_algorithm: SigningAlgorithm::RS256,
            rsa_bits: default_rsa_bits(),
        }
    }
}

/// Ceremony timeout of a new tenant, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 300_000;

/// Lifetime of a discoverable login of a new tenant, in milliseconds. Passkey autofill
/// (conditional mediation) starts the login when the page loads and the user may pick a passkey
/// much later; the original server never expires such logins. An hour covers a login page left
/// open, while a ceremony anyone may start without a key still disappears soon.
pub const DEFAULT_DISCOVERABLE_TIMEOUT_MS: u32 = 3_600_000;

/// Longest lifetime a tenant may give discoverable logins: a day, in milliseconds.
pub const MAX_DISCOVERABLE_TIMEOUT_MS: u32 = 86_400_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelyingPartyConfig {
    pub id: String,
    pub display_name: String,
    pub icon: Option<String>,
    /// Exact origins, including `android:apk-key-hash:` ones.
    pub origins: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserVerification {
    Required,
    Preferred,
    Discouraged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attachment {
    Platform,
    CrossPlatform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationPreference {
    None,
    Indirect,
    Direct,
    Enterprise,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidentKey {
    Discouraged,
    Preferred,
    Required,
}

/// How authenticators are asked to behave in one kind of ceremony.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticatorSettings {
    pub timeout_ms: u32,
    pub user_verification: UserVerification,
    pub attachment: Option<Attachment>,
    pub attestation: AttestationPreference,
    pub resident_key: ResidentKey,
}

impl AuthenticatorSettings {
    /// The original server's MFA settings when a tenant configures none: a roaming
    /// authenticator, user verification preferred, direct attestation, no resident key.
    pub fn mfa_defaults(timeout_ms: u32) -> Self {
        Self {
            timeout_ms,
            user_verification: UserVerification::Preferred,
            attachment: Some(Attachment::CrossPlatform),
            attestation: AttestationPreference::Direct,
            resident_key: ResidentKey::Discouraged,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsConfig {
    pub allowed_origins: Vec<String>,
    pub allow_unsafe_wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditConfig {
    pub store: bool,
    pub console: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterRule {
    /// Refuse the login and audit it.
    Reject,
    /// Accept the login and audit it.
    AuditOnly,
}

/// What a login does whose backup-eligible (BE) flag differs from the one registered. WebAuthn
/// says the flag never changes, yet some authenticators change it (a platform that starts
/// syncing its passkeys); the original server accepts such logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupEligibilityRule {
    /// Refuse the login and audit it.
    Reject,
    /// Accept the login and audit it.
    #[default]
    AuditOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    RS256,
    ES256,
    EdDSA,
}

/// A tenant's secret API key: only its SHA-256 is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant: TenantId,
    pub name: String,
    pub secret_hash: [u8; 32],
    pub created_at: OffsetDateTime,
}

/// A token-signing key; the private half is encrypted with the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The JWK `kid`.
    pub id: Uuid,
    pub tenant: TenantId,
    pub algorithm: SigningAlgorithm,
    /// AES-256-GCM ciphertext of the private key (PKCS#8), nonce first.
    pub encrypted_private_key: Vec<u8>,
    /// The public key (SubjectPublicKeyInfo DER), published in the JWKS.
    pub public_key: Vec<u8>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub tenant: TenantId,
    /// The tenant's own identifier of the user (any string).
    pub external_id: String,
    pub name: String,
    pub display_name: String,
    pub icon: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: Vec<u8>,
    pub tenant: TenantId,
    pub user: UserId,
    pub name: Option<String>,
    /// COSE_Key as the authenticator produced it.
    pub public_key: Vec<u8>,
    pub attestation_format: String,
    pub aaguid: [u8; 16],
    pub sign_count: u32,
    pub transports: Vec<String>,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub is_mfa: bool,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// What a ceremony was started for; a challenge finishes only the operation it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Registration,
    Authentication,
    Transaction,
    MfaRegistration,
    MfaAuthentication,
}

/// A started ceremony: single use, consumed atomically by its finish, gone after `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    pub id: Uuid,
    pub tenant: TenantId,
    pub challenge: Vec<u8>,
    pub operation: Operation,
    /// The user the ceremony is for; `None` for a discoverable login.
    pub user: Option<UserId>,
    pub user_verification: UserVerification,
    /// `allowCredentials` as sent; empty for a discoverable login.
    pub allowed_credentials: Vec<Vec<u8>>,
    pub transaction: Option<Uuid>,
    pub expires_at: OffsetDateTime,
}

/// A transaction a user confirms with a passkey; its data is bound into the challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub id: Uuid,
    pub tenant: TenantId,
    pub user: UserId,
    /// The tenant's identifier, unique per tenant.
    pub identifier: String,
    /// The transaction data as canonical JSON text.
    pub data: String,
    pub challenge: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One audit-log entry; failures are kept as well as successes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: Uuid,
    pub tenant: TenantId,
    /// The event type, e.g. `webauthn_authentication_final_succeeded`.
    pub kind: String,
    pub error: Option<String>,
    pub request_id: String,
    pub source_ip: String,
    pub user_agent: String,
    pub actor_user_id: Option<String>,
    pub transaction_id: Option<String>,
    pub created_at: OffsetDateTime,
}

/// Filters of an audit-log query; every field narrows the result. Time bounds are exclusive;
/// substrings match literally and case-sensitively (`%` and `_` are no wildcards).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub start_time: Option<OffsetDateTime>,
    pub end_time: Option<OffsetDateTime>,
    /// Any of these types; empty means all.
    pub kinds: Vec<String>,
    /// Substring of the actor's user id.
    pub actor_user_id: Option<String>,
    /// Substring of the source IP.
    pub source_ip: Option<String>,
    /// Substring of the actor's user id or the source IP.
    pub text: Option<String>,
}

/// A community (1Kosmos): a group of users inside an organisation (a tenant), with its own
/// relying party. Its users, credentials, ceremonies and audit log live in a tenant of their own,
/// its `realm`, so every rule of the engine applies to it unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    /// 24 lowercase hex digits, like the original's ObjectIds.
    pub id: String,
    /// The organisation.
    pub tenant: TenantId,
    /// The tenant that holds the community's users and credentials.
    pub realm: TenantId,
    pub name: String,
    pub created_at: OffsetDateTime,
}

/// What a license reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenseScope {
    /// One community of the license's tenant.
    Community(String),
    /// Every community of the license's tenant.
    AllCommunities,
    /// Every community of the license's tenant, and the global vendor metadata (`any`).
    System,
}

/// A license key (1Kosmos): only its SHA-256 is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    pub id: Uuid,
    pub tenant: TenantId,
    pub scope: LicenseScope,
    pub key_hash: [u8; 32],
    pub created_at: OffsetDateTime,
}

/// Authenticator policy for one model (AAGUID), for one realm or, with `realm: None`, for all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorPolicy {
    pub id: Uuid,
    /// The community realm the record belongs to; `None` for the global records (`any`).
    pub realm: Option<TenantId>,
    pub aaguid: Uuid,
    pub name: String,
    /// The FIDO MDS3 metadata statement as JSON text, stored as given.
    pub metadata: String,
    /// A disabled model may not register.
    pub disabled: bool,
    pub updated_by: String,
    pub updated_at: OffsetDateTime,
}

/// A credential linked to a user's wallet DID (1Kosmos).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub realm: TenantId,
    pub user: UserId,
    pub did: String,
    pub credential_id: Vec<u8>,
    pub linked_at: OffsetDateTime,
}

/// A process-wide secret the engine keeps sealed under the master key (the 1Kosmos envelope
/// key pair, for instance), with its public half in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSecret {
    pub name: String,
    /// AES-256-GCM ciphertext of the secret, nonce first.
    pub sealed: Vec<u8>,
    pub public: Vec<u8>,
    pub created_at: OffsetDateTime,
}

/// The text form of each value of a field-less enum, as the stores keep it (their migrations'
/// `CHECK`s list the same texts), and its parse.
macro_rules! text_forms {
    ($enum:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $enum {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// The value whose text form is `text`.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

text_forms!(Operation {
    Registration => "registration",
    Authentication => "authentication",
    Transaction => "transaction",
    MfaRegistration => "mfa_registration",
    MfaAuthentication => "mfa_authentication",
});

text_forms!(UserVerification {
    Required => "required",
    Preferred => "preferred",
    Discouraged => "discouraged",
});

text_forms!(SigningAlgorithm {
    RS256 => "RS256",
    ES256 => "ES256",
    EdDSA => "EdDSA",
});

impl TenantKind {
    /// The text form of an organisation's kind.
    pub const ORGANISATION: &'static str = "organisation";
    /// The text form of a realm's kind.
    pub const REALM: &'static str = "realm";

    /// The kind's text form; a realm's organisation and community are kept apart.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Organisation => Self::ORGANISATION,
            Self::Realm { .. } => Self::REALM,
        }
    }
}

impl LicenseScope {
    /// The scope's kind as text; a community scope's community is kept apart.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Community(_) => "community",
            Self::AllCommunities => "all_communities",
            Self::System => "system",
        }
    }

    /// The community a scope of one community names.
    pub fn community(&self) -> Option<&str> {
        match self {
            Self::Community(id) => Some(id),
            Self::AllCommunities | Self::System => None,
        }
    }

    /// The scope of this kind and community; `None` if they do not fit together.
    pub fn from_parts(kind: &str, community: Option<String>) -> Option<Self> {
        match (kind, community) {
            ("community", Some(id)) => Some(Self::Community(id)),
            ("all_communities", None) => Some(Self::AllCommunities),
            ("system", None) => Some(Self::System),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for operation in Operation::ALL {
            assert_eq!(Operation::parse(operation.as_str()), Some(*operation));
        }
        for uv in UserVerification::ALL {
            assert_eq!(UserVerification::parse(uv.as_str()), Some(*uv));
        }
        for algorithm in SigningAlgorithm::ALL {
            assert_eq!(
                SigningAlgorithm::parse(algorithm.as_str()),
                Some(*algorithm)
            );
        }
        assert_eq!(Operation::parse("Registration"), None);
        for scope in [
            LicenseScope::Community("0123456789abcdef01234567".into()),
            LicenseScope::AllCommunities,
            LicenseScope::System,
        ] {
            let community = scope.community().map(str::to_owned);
            assert_eq!(
                LicenseScope::from_parts(scope.kind(), community),
                Some(scope)
            );
        }
        assert_eq!(LicenseScope::from_parts("community", None), None);
        assert_eq!(
            LicenseScope::from_parts("system", Some("0123456789abcdef01234567".into())),
            None
        );
    }
}
