//! The records the engine keeps. These are domain values, not wire shapes and not table rows.

pub mod hanko_public;
pub mod saml;
pub mod third_party;
pub mod webhooks;

pub use hanko_public::HankoPublicConfig;

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
    /// Chosen by latchkey at creation; the Hanko dialect's `tenant_id` path segment.
    pub id: TenantId,
    /// Human-readable name, set through the admin API.
    pub display_name: String,
    /// Organisation or community realm; fixed at creation.
    pub kind: TenantKind,
    /// Relying party, ceremony and signing settings, replaced whole by the admin API.
    pub config: TenantConfig,
    /// When the tenant was created (UTC).
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
        /// The organisation that owns the community and signs the realm's tokens.
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
    /// Who the credentials are scoped to: RP ID, name and the origins ceremonies may come from.
    pub relying_party: RelyingPartyConfig,
    /// Settings for passkey registration and login.
    pub passkey: AuthenticatorSettings,
    /// Settings for the MFA (second factor) flows.
    pub mfa: AuthenticatorSettings,
    /// Which browser origins may call the tenant's public endpoints.
    pub cors: CorsConfig,
    /// Where the tenant's audit events go.
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
    /// Whether and how the tenant serves the Hanko Public API; off unless configured.
    #[serde(default)]
    pub hanko_public: HankoPublicConfig,
    /// Which authenticator models may register beyond the per-model records; nothing more
    /// unless configured.
    #[serde(default)]
    pub authenticator_policy: AuthenticatorPolicyConfig,
}

/// A tenant's requirements on every authenticator model that registers, on top of the
/// per-model records ([`AuthenticatorPolicy`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticatorPolicyConfig {
    /// The lowest FIDO certification level a model must hold. When set, a registration must
    /// prove its model with an attestation that chains to the roots of the model's metadata,
    /// and the record in effect for the model must carry that level or a higher one: `none`
    /// and self attestation, and models no record names, are refused.
    #[serde(default)]
    pub minimum_certification: Option<CertificationLevel>,
}

/// A FIDO certification level, lowest first (FIDO MDS 3.0 §3.1.4: each is stricter than the
/// one before). The text forms are the suffixes of MDS's `FIDO_CERTIFIED_*` statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CertificationLevel {
    /// Level 1, which the legacy `FIDO_CERTIFIED` status also counts as.
    L1,
    /// Level 1+.
    #[serde(rename = "L1plus")]
    L1Plus,
    /// Level 2.
    L2,
    /// Level 2+.
    #[serde(rename = "L2plus")]
    L2Plus,
    /// Level 3.
    L3,
    /// Level 3+.
    #[serde(rename = "L3plus")]
    L3Plus,
}

impl CertificationLevel {
    /// Every level, lowest first.
    pub const ALL: [Self; 6] = [
        Self::L1,
        Self::L1Plus,
        Self::L2,
        Self::L2Plus,
        Self::L3,
        Self::L3Plus,
    ];

    /// The text form: `L1`, `L1plus`, ... `L3plus`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::L1 => "L1",
            Self::L1Plus => "L1plus",
            Self::L2 => "L2",
            Self::L2Plus => "L2plus",
            Self::L3 => "L3",
            Self::L3Plus => "L3plus",
        }
    }

    /// The level of a text form, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.as_str() == text)
    }
}

impl std::fmt::Display for CertificationLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<latchkey_webauthn::CertificationLevel> for CertificationLevel {
    fn from(level: latchkey_webauthn::CertificationLevel) -> Self {
        use latchkey_webauthn::CertificationLevel as Mds;
        match level {
            Mds::L1 => Self::L1,
            Mds::L1Plus => Self::L1Plus,
            Mds::L2 => Self::L2,
            Mds::L2Plus => Self::L2Plus,
            Mds::L3 => Self::L3,
            Mds::L3Plus => Self::L3Plus,
        }
    }
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
            extensions: ExtensionSettings::default(),
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
                related_origins: Vec::new(),
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
            hanko_public: HankoPublicConfig::default(),
            authenticator_policy: AuthenticatorPolicyConfig::default(),
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

/// The WebAuthn relying party a tenant acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelyingPartyConfig {
    /// The RP ID (a registrable domain such as `example.com`); credentials are bound to it and
    /// its SHA-256 must match the authenticator data's `rpIdHash`.
    pub id: String,
    /// The RP name sent in `rp.name` of creation options; authenticators may show it.
    pub display_name: String,
    /// URL of an RP icon, kept for the Hanko API's `rp.icon`, which WebAuthn no longer defines.
    pub icon: Option<String>,
    /// Exact origins, including `android:apk-key-hash:` ones.
    pub origins: Vec<String>,
    /// Web origins outside the RP ID's site that may use it too (WebAuthn L3 §5.11, related
    /// origins): ceremonies accept them like `origins`, and the tenant serves them as its
    /// `/.well-known/webauthn` document, in this order.
    #[serde(default)]
    pub related_origins: Vec<String>,
}

impl RelyingPartyConfig {
    /// Every origin a ceremony's clientDataJSON may name: `origins`, then `related_origins`.
    pub fn accepted_origins(&self) -> impl Iterator<Item = &str> {
        self.origins
            .iter()
            .chain(&self.related_origins)
            .map(String::as_str)
    }
}

/// Whether the authenticator must verify the user (PIN, biometrics): WebAuthn's
/// `userVerification`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserVerification {
    /// The ceremony fails unless the UV flag is set.
    Required,
    /// Asked for, but a response without the UV flag is accepted.
    Preferred,
    /// Not asked for; the UV flag is ignored.
    Discouraged,
}

/// Which kind of authenticator a registration asks for: WebAuthn's
/// `authenticatorSelection.authenticatorAttachment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attachment {
    /// Built into the client device (Touch ID, Windows Hello, Android): `platform`.
    Platform,
    /// A roaming authenticator such as a security key or a phone: `cross-platform`.
    CrossPlatform,
}

/// What attestation a registration asks the client for: WebAuthn's `attestation`
/// conveyance preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationPreference {
    /// No attestation wanted: the client replaces any with `none`.
    None,
    /// An attestation the client may anonymise.
    Indirect,
    /// The authenticator's own attestation statement.
    Direct,
    /// An attestation that may identify the individual device, for managed fleets.
    Enterprise,
}

/// Whether a registration asks for a discoverable credential (a passkey the authenticator can
/// offer without being told its id): WebAuthn's `authenticatorSelection.residentKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidentKey {
    /// A server-side credential is preferred.
    Discouraged,
    /// A discoverable credential if the authenticator can make one.
    Preferred,
    /// Only a discoverable credential will do (also sends `requireResidentKey: true`).
    Required,
}

/// How authenticators are asked to behave in one kind of ceremony.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticatorSettings {
    /// How long a started ceremony stays valid, in milliseconds; also sent as `timeout`. A
    /// ceremony with user verification discouraged uses
    /// [`DISCOURAGED_UV_TIMEOUT_MS`](crate::ceremonies::DISCOURAGED_UV_TIMEOUT_MS) instead.
    pub timeout_ms: u32,
    /// Whether the user must be verified, in registration and login alike.
    pub user_verification: UserVerification,
    /// The kind of authenticator a registration asks for; `None` lets the user pick any.
    pub attachment: Option<Attachment>,
    /// The attestation a registration asks for.
    pub attestation: AttestationPreference,
    /// Whether a registration asks for a discoverable credential.
    pub resident_key: ResidentKey,
    /// The extensions and hints the ceremonies ask for beyond the original's options.
    #[serde(default)]
    pub extensions: ExtensionSettings,
}

/// What a tenant's ceremonies of one kind ask of authenticators through WebAuthn extensions
/// and hints. Nothing by default: options then keep the original server's shape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionSettings {
    /// Ask registrations whether the credential is discoverable (`credProps`).
    #[serde(default)]
    pub cred_props: bool,
    /// The credProtect level a registration asks for and requires: sent as
    /// `credentialProtectionPolicy` with `enforceCredentialProtectionPolicy: true`, and a new
    /// credential whose authenticator data reports a lower level, or none, is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_protection: Option<CredentialProtection>,
    /// Which kinds of authenticator the client should offer first (`hints`), in order.
    #[serde(default)]
    pub hints: Vec<Hint>,
    /// Ask registrations for the authenticator's minimum PIN length (`minPinLength`); only
    /// authenticators configured to tell this RP ID answer.
    #[serde(default)]
    pub min_pin_length: bool,
    /// Ask registrations for a credential that can store a large blob (`largeBlob.support`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_blob: Option<LargeBlobSupport>,
    /// Ask every registration whether the credential can evaluate a PRF (`prf: {}`).
    #[serde(default)]
    pub prf: bool,
}

/// A credProtect level (CTAP 2.1 §12.1): when the authenticator lets the credential be used;
/// the verification crate's type, which reads it from authenticator data.
pub use latchkey_webauthn::CredentialProtection;

/// A WebAuthn hint: a kind of authenticator the client should offer first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hint {
    /// `security-key`: a roaming security key.
    SecurityKey,
    /// `client-device`: the device the client runs on.
    ClientDevice,
    /// `hybrid`: a phone, reached across devices.
    Hybrid,
}

impl Hint {
    /// The hint's text, the same in the tenant configuration and in options.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecurityKey => "security-key",
            Self::ClientDevice => "client-device",
            Self::Hybrid => "hybrid",
        }
    }
}

/// How much a registration wants a credential that can store a large blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LargeBlobSupport {
    /// The client fails the registration rather than make a credential without storage.
    Required,
    /// Storage if the authenticator has it.
    Preferred,
}

impl LargeBlobSupport {
    /// The value of WebAuthn's `largeBlob.support`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Preferred => "preferred",
        }
    }
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
            extensions: ExtensionSettings::default(),
        }
    }
}

/// The tenant's CORS policy for browser calls to its public endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsConfig {
    /// Origins answered with `Access-Control-Allow-Origin`: exact origins, `*`, or patterns
    /// where `*` matches any run of characters and `?` any one.
    pub allowed_origins: Vec<String>,
    /// Makes a plain `*` entry reflect the caller's origin (which browsers accept with
    /// credentials) instead of answering `*`.
    pub allow_unsafe_wildcard: bool,
}

/// Where the tenant's audit events go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditConfig {
    /// Keep events in the store, where the audit-log API lists them.
    pub store: bool,
    /// Also hand events to the process's audit console (the server logs them).
    pub console: bool,
}

/// What a login does whose signature counter did not increase past the stored one, a sign of
/// a cloned authenticator. Counters that stay at zero (authenticators without one) always pass.
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

/// The JWS algorithm of a tenant's token-signing keys; the text form is the JWK/JWS `alg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, over a key of [`TenantConfig::rsa_bits`].
    RS256,
    /// ECDSA over P-256 with SHA-256.
    ES256,
    /// Ed25519.
    EdDSA,
}

/// A tenant's secret API key: only its SHA-256 is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Chosen by latchkey at creation; names the key in the admin API (e.g. to delete it).
    pub id: Uuid,
    /// The tenant the key authenticates for (sent in the Hanko dialect's `apiKey` header).
    pub tenant: TenantId,
    /// Label given by the operator who created the key.
    pub name: String,
    /// SHA-256 of the secret; the secret itself is shown once, at creation.
    pub secret_hash: [u8; 32],
    /// When the key was created (UTC).
    pub created_at: OffsetDateTime,
}

/// A token-signing key; the private half is encrypted with the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The JWK `kid`.
    pub id: Uuid,
    /// The organisation whose tokens (and its realms' tokens) the key signs.
    pub tenant: TenantId,
    /// The JWS `alg` the key signs with, fixed when it is created.
    pub algorithm: SigningAlgorithm,
    /// AES-256-GCM ciphertext of the private key (PKCS#8), nonce first.
    pub encrypted_private_key: Vec<u8>,
    /// The public key (SubjectPublicKeyInfo DER), published in the JWKS.
    pub public_key: Vec<u8>,
    /// When the key was created (UTC); the newest key signs.
    pub created_at: OffsetDateTime,
}

/// A user of a tenant, made by the first registration that names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Chosen by latchkey when the user is first stored.
    pub id: UserId,
    /// The tenant the user belongs to.
    pub tenant: TenantId,
    /// The tenant's own identifier of the user (any string). It is the WebAuthn user handle
    /// (`user.id`) and what the Hanko API calls `user_id`.
    pub external_id: String,
    /// WebAuthn's `user.name`, the account name the authenticator shows (often an email).
    pub name: String,
    /// WebAuthn's `user.displayName`, a friendly name for the account chooser.
    pub display_name: String,
    /// URL of a user icon, kept for the Hanko API's `user.icon`.
    pub icon: Option<String>,
    /// When the user was first stored (UTC).
    pub created_at: OffsetDateTime,
}

/// A registered public-key credential (a passkey, or an MFA key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The credential ID the authenticator chose (raw bytes; base64url on the wire), unique per
    /// tenant.
    pub id: Vec<u8>,
    /// The tenant the credential was registered with.
    pub tenant: TenantId,
    /// The user who owns it.
    pub user: UserId,
    /// Label shown to the user (Hanko's `name`): the model's name from its AAGUID, else
    /// `cred-` and the ID, until renamed.
    pub name: Option<String>,
    /// COSE_Key as the authenticator produced it.
    pub public_key: Vec<u8>,
    /// The attestation statement format of the registration (`none`, `packed`, `tpm`, ...).
    pub attestation_format: String,
    /// The authenticator model's AAGUID from the attested credential data; all zeros when the
    /// authenticator does not say.
    pub aaguid: [u8; 16],
    /// The highest signature counter the registration or an accepted login reported.
    pub sign_count: u32,
    /// How the client can reach the authenticator (`usb`, `nfc`, `ble`, `internal`,
    /// `hybrid`, ...), as the client reported at registration; sent back in
    /// `excludeCredentials`.
    pub transports: Vec<String>,
    /// The BE flag at registration: the credential may be synced to other devices.
    pub backup_eligible: bool,
    /// The BS flag of the last accepted login (or the registration): the credential is backed
    /// up or synced.
    pub backup_state: bool,
    /// Registered through the MFA flow: a second factor, usable only by MFA logins.
    pub is_mfa: bool,
    /// When the credential was registered (UTC).
    pub created_at: OffsetDateTime,
    /// When the credential last completed a login; `None` if never.
    pub last_used_at: Option<OffsetDateTime>,
    /// Whether the credential is discoverable, as the client reported at registration
    /// (`credProps.rk`); `None` when it did not say.
    pub discoverable: Option<bool>,
    /// The credProtect level the authenticator reported at registration; `None` if none.
    pub credential_protection: Option<CredentialProtection>,
    /// The authenticator's minimum PIN length, if it reported one at registration.
    pub min_pin_length: Option<u32>,
}

/// What a ceremony was started for; a challenge finishes only the operation it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Registering a passkey.
    Registration,
    /// Logging in with a passkey.
    Authentication,
    /// Confirming a [`Transaction`] with a passkey.
    Transaction,
    /// Registering a second-factor credential.
    MfaRegistration,
    /// Logging in with a second-factor credential.
    MfaAuthentication,
}

/// A started ceremony: single use, consumed atomically by its finish, gone after `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// Chosen by latchkey when the ceremony starts; the wire names a ceremony by its challenge.
    pub id: Uuid,
    /// The tenant the ceremony was started in.
    pub tenant: TenantId,
    /// The random challenge sent to the client (raw bytes; base64url on the wire); the finish
    /// finds the ceremony by the challenge in its clientDataJSON.
    pub challenge: Vec<u8>,
    /// What the ceremony may finish.
    pub operation: Operation,
    /// The user the ceremony is for; `None` for a discoverable login.
    pub user: Option<UserId>,
    /// The user-verification requirement sent at the start, which the finish enforces.
    pub user_verification: UserVerification,
    /// `allowCredentials` as sent; empty for a discoverable login.
    pub allowed_credentials: Vec<Vec<u8>>,
    /// The [`Transaction`] a transaction ceremony confirms; `None` for every other operation.
    pub transaction: Option<Uuid>,
    /// When the ceremony stops being finishable (UTC): start time plus the tenant's timeout
    /// for the operation.
    pub expires_at: OffsetDateTime,
}

/// A transaction a user confirms with a passkey; its data is bound into the challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Chosen by latchkey when the transaction is started.
    pub id: Uuid,
    /// The tenant the transaction belongs to.
    pub tenant: TenantId,
    /// The user who must confirm it.
    pub user: UserId,
    /// The tenant's identifier, unique per tenant.
    pub identifier: String,
    /// The transaction data as canonical JSON text.
    pub data: String,
    /// The challenge of the ceremony that confirms it: 32 random bytes, then
    /// SHA-256(identifier ‖ data), so the signature covers the data.
    pub challenge: Vec<u8>,
    /// When the transaction was first started (UTC).
    pub created_at: OffsetDateTime,
    /// When it was last changed (UTC).
    pub updated_at: OffsetDateTime,
}

/// One audit-log entry; failures are kept as well as successes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Chosen by latchkey when the event is recorded.
    pub id: Uuid,
    /// The tenant whose log holds the event.
    pub tenant: TenantId,
    /// The event type, e.g. `webauthn_authentication_final_succeeded`.
    pub kind: String,
    /// Why the operation failed; `None` for a success.
    pub error: Option<String>,
    /// The id the server gave the request (sent back as `X-Request-Id`); may be empty.
    pub request_id: String,
    /// The client's IP address as text, as the dialect saw it.
    pub source_ip: String,
    /// The client's `User-Agent` header; may be empty.
    pub user_agent: String,
    /// The tenant's id of the user the operation was about ([`User::external_id`]); `None`
    /// when it was not known, as for a failed discoverable login.
    pub actor_user_id: Option<String>,
    /// The tenant's identifier of the transaction a transaction ceremony was about.
    pub transaction_id: Option<String>,
    /// When the event was recorded (UTC).
    pub created_at: OffsetDateTime,
}

/// Filters of an audit-log query; every field narrows the result. Time bounds are exclusive;
/// substrings match literally and case-sensitively (`%` and `_` are no wildcards).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events created after this instant.
    pub start_time: Option<OffsetDateTime>,
    /// Only events created before this instant.
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
    /// Name given at creation.
    pub name: String,
    /// When the community was created (UTC).
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
    /// Chosen by latchkey at creation; names the license when it is revoked.
    pub id: Uuid,
    /// The organisation that issued it; a license never reaches beyond it.
    pub tenant: TenantId,
    /// Which communities (and whether the global metadata) the license reaches.
    pub scope: LicenseScope,
    /// SHA-256 of the key; the key itself (1Kosmos's `licensekey` header) is shown once.
    pub key_hash: [u8; 32],
    /// When the license was created (UTC).
    pub created_at: OffsetDateTime,
}

/// Authenticator policy for one model (AAGUID), for one realm or, with `realm: None`, for all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorPolicy {
    /// Chosen by latchkey when the record is first stored; kept across updates.
    pub id: Uuid,
    /// The community realm the record belongs to; `None` for the global records (`any`).
    pub realm: Option<TenantId>,
    /// The authenticator model the record is about.
    pub aaguid: Uuid,
    /// The model's name, as uploaded or taken from the MDS statement's `description`.
    pub name: String,
    /// The FIDO MDS3 metadata statement as JSON text, stored as given.
    pub metadata: String,
    /// A disabled model may not register.
    pub disabled: bool,
    /// The model's FIDO certification level as the metadata service reported it at the last
    /// import; `None` when it reports none (or the model is compromised), and for every record
    /// of a scope: certification is the service's word, not an operator's.
    pub certification: Option<CertificationLevel>,
    /// Who last changed the record, as the 1Kosmos dialect reports it (free text).
    pub updated_by: String,
    /// When the record was last changed (UTC).
    pub updated_at: OffsetDateTime,
}

/// A credential linked to a user's wallet DID (1Kosmos).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The community realm holding the user and the credential.
    pub realm: TenantId,
    /// The user the credential belongs to.
    pub user: UserId,
    /// The wallet's decentralised identifier, as the client sent it.
    pub did: String,
    /// The linked credential's ID (raw bytes).
    pub credential_id: Vec<u8>,
    /// When the link was made or last renewed (UTC).
    pub linked_at: OffsetDateTime,
}

/// A process-wide secret the engine keeps sealed under the master key (the 1Kosmos envelope
/// key pair, for instance), with its public half in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSecret {
    /// The name callers look the secret up by; one secret per name.
    pub name: String,
    /// AES-256-GCM ciphertext of the secret, nonce first.
    pub sealed: Vec<u8>,
    /// The public half, in clear; its format is the caller's business.
    pub public: Vec<u8>,
    /// When the first process to need it made it (UTC).
    pub created_at: OffsetDateTime,
}

/// An email address of a tenant's user (the Hanko Public API's emails). Addresses are stored
/// lower-cased and are unique per tenant, whoever holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Chosen by latchkey when the address is first stored.
    pub id: Uuid,
    /// The tenant the address belongs to.
    pub tenant: TenantId,
    /// The user holding the address; `None` while a sign-up or an added address waits for the
    /// passcode that proves it.
    pub user: Option<UserId>,
    /// The address, lower-cased.
    pub address: String,
    /// A passcode sent to it was entered (or the tenant does not ask for that).
    pub verified: bool,
    /// The user's primary address: at most one per user, named in session tokens.
    pub primary: bool,
    /// When the address was first stored (UTC).
    pub created_at: OffsetDateTime,
    /// When user, verification or primary last changed (UTC).
    pub updated_at: OffsetDateTime,
}

/// A one-time code sent to an email address, entered to log in or to prove the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passcode {
    /// Chosen by latchkey; the client finalizes by it.
    pub id: Uuid,
    /// The tenant it was issued in.
    pub tenant: TenantId,
    /// The user it logs in.
    pub user: UserId,
    /// The address it was sent to.
    pub email: Uuid,
    /// HMAC-SHA-256 of the code under a key derived from the master key: the six digits are
    /// worthless to whoever reads the database alone.
    pub code_hash: [u8; 32],
    /// How long it is valid after `created_at`, in seconds.
    pub ttl_seconds: u32,
    /// Wrong codes entered so far.
    pub failed_attempts: u32,
    /// When it was issued (UTC).
    pub created_at: OffsetDateTime,
    /// `created_at` plus the TTL: it is refused (and swept) after this.
    pub expires_at: OffsetDateTime,
}

/// A user's password, as a PHC string (argon2id; bcrypt hashes of imported users are accepted
/// and replaced at their next login). One per user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Password {
    /// The tenant of the user.
    pub tenant: TenantId,
    /// Whose password it is.
    pub user: UserId,
    /// The hash in PHC string format (`$argon2id$...`, or `$2b$...` for bcrypt).
    pub hash: String,
    /// When the user first set a password (UTC).
    pub created_at: OffsetDateTime,
    /// When it was last replaced or rehashed (UTC).
    pub updated_at: OffsetDateTime,
}

/// A login session of the Hanko Public API. Its id is the `sid` claim of the session token: a
/// token counts only while its session exists, so logging out, deleting the account or an
/// administrator ends it at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The `sid` claim.
    pub id: Uuid,
    /// The tenant it was issued in.
    pub tenant: TenantId,
    /// The user logged in.
    pub user: UserId,
    /// When it was issued (UTC).
    pub created_at: OffsetDateTime,
    /// When its token expires (UTC); it is swept after this.
    pub expires_at: OffsetDateTime,
}

/// A user's account at a third-party identity provider (an OAuth/OpenID provider or a SAML
/// identity provider), by which they sign in without a passkey, passcode or password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The tenant.
    pub tenant: TenantId,
    /// The provider's name in latchkey (`google`, `custom_<key>`, a SAML domain).
    pub provider: String,
    /// The provider's id of the user (`sub`, a SAML NameID).
    pub subject: String,
    /// The user it signs in.
    pub user: UserId,
    /// The address the provider last gave, as one of the user's emails.
    pub email: Option<Uuid>,
    /// When the account was first used here (UTC).
    pub created_at: OffsetDateTime,
    /// When it last signed in (UTC).
    pub updated_at: OffsetDateTime,
}

/// A one-time token (`hanko_token`) that a third-party sign-in hands to the page by redirect,
/// exchanged once for a session. Only its SHA-256 is stored: it is a bearer secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    /// The tenant.
    pub tenant: TenantId,
    /// SHA-256 of the token's text.
    pub hash: [u8; 32],
    /// The user it logs in.
    pub user: UserId,
    /// When it was issued (UTC).
    pub created_at: OffsetDateTime,
    /// When it stops counting (UTC).
    pub expires_at: OffsetDateTime,
}

/// The text form of each value of a field-less enum, as the stores keep it (their migrations'
/// `CHECK`s list the same texts), and its parse.
macro_rules! text_forms {
    ($enum:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $enum {
            /// Every value.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The value's text form, as stored.
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
