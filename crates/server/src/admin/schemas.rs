//! How the admin API's engine-owned and shared wire types look, for its OpenAPI document.
//!
//! utoipa stays out of the engine crate, and the passkey-server dialect owns the credential,
//! transaction and audit-log shapes the admin API shares with it; so this module restates
//! those shapes as types that only derive the schema. Each one mirrors the serde attributes of
//! the type it describes (named in its doc comment); the schemathesis run of
//! `tests/system/openapi-admin.test.mjs` checks every answer against them, so a mirror that
//! drifts from the type it describes fails there.
//!
//! The types are never built: they exist for their schema alone.
#![allow(
    dead_code,
    reason = "schema descriptions read by utoipa's derive, never constructed"
)]

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The admin API's error body (`hanko_passkey::error::ApiError`), for every status from 400
/// on.
#[derive(Serialize, ToSchema)]
pub(super) struct AdminError {
    /// What failed, e.g. `tenant not found` or `unable to update tenant config`.
    title: String,
    /// Why, e.g. the broken field rules; empty when there is nothing to add, absent on server
    /// faults.
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<String>,
    /// The HTTP status again.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
}

/// The `{tenant_id}` of every tenant's route: a UUID, else 400 `tenant_id must be a valid
/// uuid4`.
#[derive(IntoParams)]
#[into_params(names("tenant_id"), parameter_in = Path)]
pub(super) struct TenantParam(
    /// The tenant's id.
    Uuid,
);

/// `page` and `per_page` of a paged listing; a value that is not an integer is a 400.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct Paging {
    /// Page number; missing, zero or negative means 1.
    page: Option<i64>,
    /// Page size; missing, zero or negative means 20; at most 1000.
    per_page: Option<i64>,
}

/// The filters both audit-log listings share (each reads `type` its own way).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditFilters {
    /// Only entries after this RFC 3339 time.
    #[param(format = DateTime)]
    start_time: Option<String>,
    /// Only entries before this RFC 3339 time.
    #[param(format = DateTime)]
    end_time: Option<String>,
    /// Only entries whose actor's id contains this.
    actor_user_id: Option<String>,
    /// Only entries whose source address contains this.
    meta_source_ip: Option<String>,
    /// Only entries whose actor id or source address contains this.
    q: Option<String>,
}

/// `GET /health/alive`.
#[derive(Serialize, ToSchema)]
pub(super) struct Alive {
    /// Always true.
    alive: bool,
}

/// `GET /health/ready`.
#[derive(Serialize, ToSchema)]
pub(super) struct Ready {
    /// Always true.
    ready: bool,
}

/// Whether the authenticator must verify the user (`model::UserVerification`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum UserVerification {
    Required,
    Preferred,
    Discouraged,
}

/// Which authenticators may take part (`model::Attachment`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Attachment {
    Platform,
    CrossPlatform,
}

/// The attestation asked for (`model::AttestationPreference`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum AttestationPreference {
    None,
    Indirect,
    Direct,
    Enterprise,
}

/// Whether a discoverable credential is asked for (`model::ResidentKey`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum ResidentKey {
    Discouraged,
    Preferred,
    Required,
}

/// A credProtect level (`model::CredentialProtection`): 1, 2 and 3 in CTAP's numbering.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(
    clippy::enum_variant_names,
    reason = "mirrors the engine's names, which are CTAP's policy names"
)]
pub(super) enum CredentialProtection {
    UserVerificationOptional,
    UserVerificationOptionalWithCredentialIdList,
    UserVerificationRequired,
}

/// A WebAuthn hint (`model::Hint`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Hint {
    SecurityKey,
    ClientDevice,
    Hybrid,
}

/// How much a registration wants large blob storage (`model::LargeBlobSupport`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum LargeBlobSupport {
    Required,
    Preferred,
}

/// The extensions and hints one kind of ceremony asks for (`model::ExtensionSettings`);
/// nothing by default, which keeps the original server's options.
#[derive(Serialize, ToSchema)]
pub(super) struct ExtensionSettings {
    /// Ask registrations for `credProps`, to learn (and store) whether the credential is
    /// discoverable. Default: false.
    #[serde(default)]
    cred_props: bool,
    /// The credProtect level registrations ask for and require: a credential whose
    /// authenticator reports a lower level, or none, is refused. Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    credential_protection: Option<CredentialProtection>,
    /// Sent as `hints`, in this order. Default: none.
    #[serde(default)]
    hints: Vec<Hint>,
    /// Ask registrations for `minPinLength`. Default: false.
    #[serde(default)]
    min_pin_length: bool,
    /// Ask registrations for `largeBlob.support`. Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    large_blob: Option<LargeBlobSupport>,
    /// Ask every registration whether the credential supports PRF (`prf: {}`). Default: false.
    #[serde(default)]
    prf: bool,
}

/// The algorithm of the tenant's token-signing keys (`model::SigningAlgorithm`).
#[derive(Serialize, ToSchema)]
pub(super) enum SigningAlgorithm {
    RS256,
    ES256,
    EdDSA,
}

/// What a signature counter that did not grow does to a login (`model::CounterRule`):
/// `reject` refuses it, `audit_only` records it and lets it through.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum CounterRule {
    Reject,
    AuditOnly,
}

/// A FIDO certification level (`model::CertificationLevel`), lowest first: the suffix of the
/// FIDO MDS status `FIDO_CERTIFIED_*` (the legacy `FIDO_CERTIFIED` counts as `L1`).
#[derive(Serialize, ToSchema)]
pub(super) enum CertificationLevel {
    L1,
    L1plus,
    L2,
    L2plus,
    L3,
    L3plus,
}

/// What a credential whose backup flags changed impossibly does to a login
/// (`model::BackupEligibilityRule`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum BackupEligibilityRule {
    Reject,
    AuditOnly,
}

/// The Hanko Public API settings of a tenant (`model::HankoPublicConfig`), under the original
/// backend's key names. Every key may be left out and takes the original's default; `smtp` is
/// shown only when set, and its `password` and the providers' `secret`s are shown empty (a
/// blank one written back keeps the stored one).
#[derive(Serialize, ToSchema)]
pub(super) struct HankoPublicConfig {
    /// Serve the Hanko Public API for this tenant. Default: false.
    #[serde(default)]
    enabled: bool,
    service: ServiceSettings,
    session: SessionSettings,
    #[serde(default)]
    passcode: PasscodeSettings,
    password: PasswordSettings,
    emails: EmailSettings,
    #[serde(default)]
    account: AccountSettings,
    webauthn: HankoWebauthnSettings,
    rate_limiter: RateLimiterSettings,
    #[serde(default)]
    email_delivery: EmailDeliverySettings,
    third_party: ThirdPartySettings,
    saml: SamlSettings,
    #[serde(default)]
    webhooks: WebhookSettings,
    #[serde(skip_serializing_if = "Option::is_none")]
    smtp: Option<SmtpSettings>,
}

/// `service`.
#[derive(Serialize, ToSchema)]
struct ServiceSettings {
    /// The service's name in passcode mails. Default: `Hanko Authentication Service`.
    #[serde(default)]
    name: String,
}

/// `session`.
#[derive(Serialize, ToSchema)]
struct SessionSettings {
    /// How long a session lasts, as a Go duration of whole `h`, `m`, `s` (`1h30m`).
    /// Default: `1h`.
    #[schema(pattern = r"^([0-9]+[hms])+$")]
    #[serde(default)]
    lifespan: String,
    /// Send the session token in `X-Auth-Token` instead of a cookie. Default: false.
    enable_auth_token_header: bool,
    /// The tokens' `iss`; none when empty.
    #[serde(default)]
    issuer: String,
    /// The tokens' `aud`; the relying party ID when empty.
    audience: Vec<String>,
    #[serde(default)]
    cookie: CookieSettings,
}

/// `session.cookie`.
#[derive(Serialize, ToSchema)]
struct CookieSettings {
    /// The cookie's name. Default: `hanko`.
    #[schema(min_length = 1)]
    #[serde(default)]
    name: String,
    /// Its `Domain`; none when empty.
    domain: String,
    /// Default: true.
    #[serde(default)]
    http_only: bool,
    /// `strict` (the default), `lax` or `none`; any other value leaves the attribute out.
    same_site: String,
    /// Default: true.
    #[serde(default)]
    secure: bool,
}

/// `passcode`.
#[derive(Serialize, ToSchema)]
struct PasscodeSettings {
    /// Seconds a passcode stays valid. Default: 300.
    #[schema(minimum = 1)]
    #[serde(default)]
    ttl: u32,
    email: PasscodeEmailSettings,
}

/// `passcode.email`.
#[derive(Serialize, ToSchema)]
struct PasscodeEmailSettings {
    /// Default: `passcode@hanko.io`.
    #[serde(default)]
    from_address: String,
    /// Default: `Hanko`.
    from_name: String,
}

/// `password`.
#[derive(Serialize, ToSchema)]
struct PasswordSettings {
    /// Password login. Default: false.
    #[serde(default)]
    enabled: bool,
    /// Default: 8.
    min_password_length: u32,
}

/// `emails`.
#[derive(Serialize, ToSchema)]
struct EmailSettings {
    /// Default: true.
    #[serde(default)]
    require_verification: bool,
    /// Default: 5.
    max_num_of_addresses: u32,
}

/// `account`.
#[derive(Serialize, ToSchema)]
struct AccountSettings {
    /// Users may delete their own account. Default: false.
    #[serde(default)]
    allow_deletion: bool,
    /// Anyone may sign up. Default: true.
    allow_signup: bool,
}

/// `hanko_public.webauthn`.
#[derive(Serialize, ToSchema)]
struct HankoWebauthnSettings {
    /// Milliseconds a ceremony may take. Default: 60000.
    #[schema(minimum = 1)]
    #[serde(default)]
    timeout: u32,
    /// Default: `preferred`.
    user_verification: UserVerification,
}

/// `rate_limiter`.
#[derive(Serialize, ToSchema)]
struct RateLimiterSettings {
    /// Default: true.
    #[serde(default)]
    enabled: bool,
    /// Default: 3 a minute.
    passcode_limits: RateLimit,
    /// Default: 5 a minute.
    #[serde(default)]
    password_limits: RateLimit,
    /// Default: 3 a minute.
    token_limits: RateLimit,
}

/// `tokens` requests per `interval`.
#[derive(Serialize, ToSchema)]
struct RateLimit {
    tokens: u32,
    /// A Go duration of whole `h`, `m`, `s` (`1m`).
    #[schema(pattern = r"^([0-9]+[hms])+$")]
    interval: String,
}

/// `email_delivery`.
#[derive(Serialize, ToSchema)]
struct EmailDeliverySettings {
    /// latchkey sends the mails itself. Default: true.
    #[serde(default)]
    enabled: bool,
}

/// This tenant's own mail server (`model::SmtpSettings`).
#[derive(Serialize, ToSchema)]
struct SmtpSettings {
    host: String,
    /// Default: 465.
    #[serde(default)]
    port: u16,
    /// Default: `tls`.
    #[serde(default)]
    tls: SmtpTls,
    /// No login when empty.
    #[serde(default)]
    user: String,
    /// Written, never shown: always empty in answers.
    #[serde(default)]
    password: String,
}

/// How the SMTP connection is secured.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum SmtpTls {
    None,
    Starttls,
    Tls,
}

/// `third_party` (`model::third_party::ThirdPartySettings`); checked only when a provider is
/// enabled.
#[derive(Serialize, ToSchema)]
struct ThirdPartySettings {
    #[serde(default)]
    redirect_url: String,
    error_redirect_url: String,
    /// URLs or globs a sign-in may return to.
    #[serde(default)]
    allowed_redirect_urls: Vec<String>,
    providers: BuiltInProviders,
    /// Keyed by lower-case letters, digits and `_`.
    #[serde(default)]
    custom_providers: std::collections::BTreeMap<String, CustomProvider>,
}

/// `third_party.providers`.
#[derive(Serialize, ToSchema)]
struct BuiltInProviders {
    #[serde(default)]
    google: ProviderSettings,
    github: ProviderSettings,
    apple: ProviderSettings,
    #[serde(default)]
    discord: ProviderSettings,
    microsoft: ProviderSettings,
    linkedin: ProviderSettings,
}

/// One built-in provider.
#[derive(Serialize, ToSchema)]
struct ProviderSettings {
    #[serde(default)]
    enabled: bool,
    client_id: String,
    /// Written, never shown: empty in answers.
    #[serde(default)]
    secret: String,
    allow_linking: bool,
    issuer: String,
    #[serde(default)]
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
}

/// An OpenID Connect provider of the tenant's own.
#[derive(Serialize, ToSchema)]
struct CustomProvider {
    #[serde(default)]
    enabled: bool,
    display_name: String,
    issuer: String,
    #[serde(default)]
    client_id: String,
    /// Written, never shown: empty in answers.
    secret: String,
    #[serde(default)]
    scopes: Vec<String>,
    allow_linking: bool,
}

/// `saml` (`model::saml::SamlSettings`); checked only when enabled.
#[derive(Serialize, ToSchema)]
struct SamlSettings {
    #[serde(default)]
    enabled: bool,
    endpoint_url: String,
    audience_uri: String,
    #[serde(default)]
    default_redirect_url: String,
    allowed_redirect_urls: Vec<String>,
    options: SamlOptions,
    #[serde(default)]
    identity_providers: Vec<IdentityProviderSettings>,
}

/// `saml.options`.
#[derive(Serialize, ToSchema)]
struct SamlOptions {
    #[serde(default)]
    sign_authn_requests: bool,
    force_login: bool,
    validate_encryption_cert: bool,
    /// Must stay false: latchkey accepts no assertion whose signature it did not verify.
    #[serde(default)]
    skip_signature_validation: bool,
    allow_missing_attributes: bool,
}

/// One SAML identity provider; keys at their empty default are not shown.
#[derive(Serialize, ToSchema)]
struct IdentityProviderSettings {
    #[serde(default)]
    enabled: bool,
    name: String,
    domain: String,
    #[serde(default)]
    metadata_url: String,
    skip_email_verification: bool,
    attribute_map: AttributeMap,
}

/// Which assertion attribute holds each user property; unset ones are not shown.
#[derive(Serialize, ToSchema)]
struct AttributeMap {
    #[serde(default)]
    name: String,
    family_name: String,
    given_name: String,
    #[serde(default)]
    middle_name: String,
    nickname: String,
    preferred_username: String,
    #[serde(default)]
    profile: String,
    picture: String,
    website: String,
    #[serde(default)]
    gender: String,
    birthdate: String,
    zone_info: String,
    #[serde(default)]
    locale: String,
    updated_at: String,
    email: String,
    #[serde(default)]
    email_verified: String,
    phone: String,
    phone_verified: String,
}

/// `webhooks` (`model::webhooks::WebhookSettings`).
#[derive(Serialize, ToSchema)]
struct WebhookSettings {
    #[serde(default)]
    enabled: bool,
    /// Hooks added through the admin API expire after 30 days without an update.
    allow_time_expiration: bool,
    #[serde(default)]
    hooks: Vec<ConfigHook>,
}

/// A hook of the configuration.
#[derive(Serialize, ToSchema)]
struct ConfigHook {
    /// An absolute `http` or `https` URL.
    callback: String,
    #[serde(default)]
    events: Vec<WebhookEvent>,
}

/// An event a hook subscribes to; `user` and `user.update.email` subscribe to their children.
#[derive(Serialize, ToSchema)]
pub(super) enum WebhookEvent {
    #[serde(rename = "user")]
    User,
    #[serde(rename = "user.create")]
    UserCreate,
    #[serde(rename = "user.update")]
    UserUpdate,
    #[serde(rename = "user.delete")]
    UserDelete,
    #[serde(rename = "user.update.email")]
    UserUpdateEmail,
    #[serde(rename = "user.update.email.create")]
    EmailCreate,
    #[serde(rename = "user.update.email.primary")]
    EmailPrimary,
    #[serde(rename = "user.update.email.delete")]
    EmailDelete,
    #[serde(rename = "email.send")]
    EmailSend,
}

/// A passkey credential as the passkey-server API shows it
/// (`hanko_passkey::credentials::CredentialDto`).
#[derive(Serialize, ToSchema)]
pub(super) struct Credential {
    /// The credential id, base64url without padding.
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// The COSE public key, base64url without padding.
    public_key: String,
    attestation_type: String,
    #[schema(format = Uuid)]
    aaguid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    last_used_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    transports: Vec<String>,
    backup_eligible: bool,
    backup_state: bool,
    is_mfa: bool,
    user_id: String,
    /// `credProps.rk` at registration; absent when the client did not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    discoverable: Option<bool>,
    /// The credProtect level the authenticator reported; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    credential_protection: Option<CredentialProtection>,
    /// The minimum PIN length the authenticator reported; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    min_pin_length: Option<u32>,
}

/// A transaction as the passkey-server API shows it
/// (`hanko_passkey::transactions::TransactionDto`).
#[derive(Serialize, ToSchema)]
pub(super) struct Transaction {
    id: String,
    identifier: String,
    /// The transaction data as the JSON text it was stored as.
    data: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// An audit-log entry as the passkey-server API shows it (`hanko_passkey::audit::AuditLogDto`).
#[derive(Serialize, ToSchema)]
pub(super) struct AuditLog {
    #[schema(format = Uuid)]
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    meta_http_request_id: String,
    meta_source_ip: String,
    meta_user_agent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_user_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    #[schema(format = Uuid)]
    tenant_id: String,
    /// `null` when the event belongs to no transaction.
    transaction_id: Option<String>,
}

/// A Hanko Public API user as the original's admin API shows it
/// (`accounts::UserData`); empty lists are left out.
#[derive(Serialize, ToSchema)]
pub(super) struct HankoUser {
    #[schema(format = Uuid)]
    id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    webauthn_credentials: Vec<HankoPasskey>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    emails: Vec<HankoEmail>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// An address as the original's admin API shows it (`accounts::EmailData`).
#[derive(Serialize, ToSchema)]
pub(super) struct HankoEmail {
    #[schema(format = Uuid)]
    id: String,
    address: String,
    is_verified: bool,
    is_primary: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// A passkey as the original's admin API shows it (`accounts::PasskeyData`).
#[derive(Serialize, ToSchema)]
struct HankoPasskey {
    /// The credential id, base64url without padding.
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    public_key: String,
    attestation_type: String,
    #[schema(format = Uuid)]
    aaguid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    last_used_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    transports: Vec<String>,
    backup_eligible: bool,
    backup_state: bool,
}
