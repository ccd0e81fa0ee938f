//! The tenant configuration as the admin API reads and writes it: the original server's shape
//! (`cors`, `webauthn`, `mfa`) plus latchkey's optional blocks (`signing`, `counter`,
//! `backup_eligibility`, `discoverable_login`, `audit`, `hanko_public`,
//! `authenticator_policy`).

use latchkey_engine::model::{
    Attachment, AttestationPreference, AuditConfig, AuthenticatorPolicyConfig,
    AuthenticatorSettings, BackupEligibilityRule, CertificationLevel, CorsConfig, CounterRule,
    ExtensionSettings, HankoPublicConfig, RelyingPartyConfig, ResidentKey, SigningAlgorithm,
    Tenant, TenantConfig, UserVerification,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schemas;
use crate::http::validate::Violations;

/// A tenant's configuration as it is written: the `config` object of `POST /tenants` and the
/// body of `PUT /tenants/{id}/config`. `cors` and `webauthn` are the original server's and
/// required; the other blocks may be left out: a new tenant then takes their defaults, a
/// replaced configuration keeps the ones it had.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[schema(as = TenantConfigRequest)]
pub(super) struct ConfigRequest {
    cors: CorsRequest,
    webauthn: WebauthnRequest,
    /// Settings of MFA ceremonies. Default: `webauthn.timeout`, `preferred` user
    /// verification, `cross-platform`, `direct` attestation, `discouraged` resident key.
    #[schema(nullable = false)]
    mfa: Option<MfaRequest>,
    #[schema(nullable = false)]
    signing: Option<SigningBody>,
    /// Default: `reject`.
    #[schema(value_type = schemas::CounterRule, nullable = false)]
    counter: Option<CounterRule>,
    /// Default: `audit_only`.
    #[schema(value_type = schemas::BackupEligibilityRule, nullable = false)]
    backup_eligibility: Option<BackupEligibilityRule>,
    #[schema(nullable = false)]
    discoverable_login: Option<DiscoverableLoginBody>,
    #[schema(nullable = false)]
    audit: Option<AuditRequest>,
    #[schema(value_type = schemas::HankoPublicConfig, nullable = false)]
    hanko_public: Option<HankoPublicConfig>,
    #[schema(nullable = false)]
    authenticator_policy: Option<AuthenticatorPolicyBody>,
}

/// What every authenticator model must be to register, beyond the per-model records of
/// `/tenants/{id}/authenticators`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AuthenticatorPolicyBody {
    /// The lowest FIDO certification level, as `latchkey mds import` recorded it, that a
    /// model must hold; absent or null: none. With a minimum, a registration must prove its
    /// model by an attestation chain to the model's metadata roots: `none` and self attestation
    /// are refused, and so are models no record names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schemas::CertificationLevel>)]
    minimum_certification: Option<CertificationLevel>,
}

impl From<AuthenticatorPolicyBody> for AuthenticatorPolicyConfig {
    fn from(body: AuthenticatorPolicyBody) -> Self {
        Self {
            minimum_certification: body.minimum_certification,
        }
    }
}

impl From<AuthenticatorPolicyConfig> for AuthenticatorPolicyBody {
    fn from(config: AuthenticatorPolicyConfig) -> Self {
        Self {
            minimum_certification: config.minimum_certification,
        }
    }
}

/// Which browser origins may call the tenant's passkey-server API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
struct CorsRequest {
    #[schema(min_items = 1)]
    allowed_origins: Vec<String>,
    allow_unsafe_wildcard: bool,
}

/// The relying party and the settings of passkey ceremonies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
struct WebauthnRequest {
    relying_party: RelyingPartyRequest,
    /// Milliseconds a ceremony may take.
    #[schema(minimum = 1)]
    timeout: u32,
    /// Default: `required`.
    #[schema(value_type = schemas::UserVerification, nullable = false)]
    user_verification: Option<UserVerification>,
    /// Default: none (any authenticator).
    #[schema(value_type = schemas::Attachment, nullable = false)]
    attachment: Option<Attachment>,
    /// Default: `direct`.
    #[schema(value_type = schemas::AttestationPreference, nullable = false)]
    attestation_preference: Option<AttestationPreference>,
    /// Default: `required`.
    #[schema(value_type = schemas::ResidentKey, nullable = false)]
    resident_key_requirement: Option<ResidentKey>,
    /// The extensions and hints of passkey ceremonies (latchkey's). Left out: a new tenant asks
    /// for none, a replaced configuration keeps the ones it had.
    #[serde(default)]
    #[schema(value_type = schemas::ExtensionSettings, nullable = false)]
    extensions: Option<ExtensionSettings>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
struct RelyingPartyRequest {
    /// The RP ID: a domain name, without scheme, port or path.
    #[schema(min_length = 1, pattern = r"^[^:/]+$")]
    id: String,
    #[schema(min_length = 1)]
    display_name: String,
    /// A URL.
    #[schema(nullable = false)]
    icon: Option<String>,
    /// Origins a ceremony may come from (`https://…`, `android:apk-key-hash:…`).
    #[schema(min_items = 1)]
    origins: Vec<String>,
    /// Web origins outside the RP ID's site that may use it too (WebAuthn related origins):
    /// ceremonies accept them, and the tenant serves them at `/.well-known/webauthn`. Bare
    /// `https://host[:port]` origins with at most 5 distinct registrable labels. Left out: a
    /// new tenant has none, a replaced configuration keeps its list; `[]` removes them.
    #[schema(nullable = false)]
    related_origins: Option<Vec<String>>,
}

/// The settings of MFA ceremonies; the ones left out take the MFA defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
struct MfaRequest {
    #[schema(minimum = 1)]
    timeout: u32,
    #[schema(value_type = schemas::UserVerification, nullable = false)]
    user_verification: Option<UserVerification>,
    #[schema(value_type = schemas::Attachment, nullable = false)]
    attachment: Option<Attachment>,
    #[schema(value_type = schemas::AttestationPreference, nullable = false)]
    attestation_preference: Option<AttestationPreference>,
    #[schema(value_type = schemas::ResidentKey, nullable = false)]
    resident_key_requirement: Option<ResidentKey>,
    /// As `webauthn.extensions`, for MFA ceremonies.
    #[serde(default)]
    #[schema(value_type = schemas::ExtensionSettings, nullable = false)]
    extensions: Option<ExtensionSettings>,
}

/// The tenant's token-signing keys. Changing the algorithm or size makes a new key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
struct SigningBody {
    /// Default: `RS256`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = schemas::SigningAlgorithm, nullable = false)]
    algorithm: Option<SigningAlgorithm>,
    /// RSA key size (RS256 only; shown only for RS256). Default: 2048.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 2048, maximum = 4096, multiple_of = 1024)]
    rsa_bits: Option<u32>,
}

/// How long a discoverable login waits, in milliseconds like the other timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
struct DiscoverableLoginBody {
    /// Default: 3600000 (an hour); at most a day.
    #[schema(minimum = 1, maximum = 86_400_000)]
    timeout: u32,
}

/// Where audit events go; a key left out keeps its value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
struct AuditRequest {
    /// Kept in the store, for the audit-log listings. Default: true.
    #[schema(nullable = false)]
    store: Option<bool>,
    /// Written to the server log. Default: false.
    #[schema(nullable = false)]
    console: Option<bool>,
}

/// A configuration request that passed its field rules: the original server's settings are
/// built, latchkey's blocks wait to be laid over the configuration they replace. Checking
/// needs no tenant, so it happens before the engine's update transaction; laying over cannot
/// fail, so it can happen inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CheckedConfig {
    /// latchkey's blocks still at the engine's defaults.
    config: TenantConfig,
    related_origins: Option<Vec<String>>,
    signing: Option<SigningBody>,
    counter: Option<CounterRule>,
    backup_eligibility: Option<BackupEligibilityRule>,
    discoverable_login: Option<DiscoverableLoginBody>,
    audit: Option<AuditRequest>,
    hanko_public: Option<HankoPublicConfig>,
    authenticator_policy: Option<AuthenticatorPolicyBody>,
    passkey_extensions: Option<ExtensionSettings>,
    mfa_extensions: Option<ExtensionSettings>,
}

impl ConfigRequest {
    /// The request with its field rules checked, or the broken rules in the wording of the
    /// original's validator (`timeout is a required field`). Absent fields fail earlier, when
    /// the body is parsed; this catches the present but empty ones. Absent original-server
    /// settings take the original's defaults. The engine checks the values themselves.
    pub(super) fn check(self) -> Result<CheckedConfig, String> {
        let Self {
            cors,
            webauthn,
            mfa,
            signing,
            counter,
            backup_eligibility,
            discoverable_login,
            audit,
            hanko_public,
            authenticator_policy,
        } = self;
        let relying_party = webauthn.relying_party;
        let mut violations = Violations::default();
        at_least_one(&mut violations, "allowed_origins", &cors.allowed_origins);
        violations.required("id", &relying_party.id);
        violations.required("display_name", &relying_party.display_name);
        if let Some(icon) = &relying_party.icon {
            violations.url("icon", icon);
        }
        at_least_one(&mut violations, "origins", &relying_party.origins);
        if webauthn.timeout == 0 || mfa.as_ref().is_some_and(|mfa| mfa.timeout == 0) {
            violations.push("timeout is a required field");
        }
        violations.finish()?;

        let mut config = TenantConfig::new(
            &relying_party.id,
            &relying_party.display_name,
            relying_party.origins,
        );
        config.relying_party.icon = relying_party.icon;
        config.cors = CorsConfig {
            allowed_origins: cors.allowed_origins,
            allow_unsafe_wildcard: cors.allow_unsafe_wildcard,
        };
        config.passkey.timeout_ms = webauthn.timeout;
        config.passkey.attachment = webauthn.attachment;
        overlay(
            &mut config.passkey,
            webauthn.user_verification,
            webauthn.attestation_preference,
            webauthn.resident_key_requirement,
        );
        config.mfa = AuthenticatorSettings::mfa_defaults(webauthn.timeout);
        let passkey_extensions = webauthn.extensions;
        let mut mfa_extensions = None;
        if let Some(mfa) = mfa {
            mfa_extensions = mfa.extensions;
            config.mfa.timeout_ms = mfa.timeout;
            if mfa.attachment.is_some() {
                config.mfa.attachment = mfa.attachment;
            }
            overlay(
                &mut config.mfa,
                mfa.user_verification,
                mfa.attestation_preference,
                mfa.resident_key_requirement,
            );
        }
        Ok(CheckedConfig {
            config,
            related_origins: relying_party.related_origins,
            signing,
            counter,
            backup_eligibility,
            discoverable_login,
            audit,
            hanko_public,
            authenticator_policy,
            passkey_extensions,
            mfa_extensions,
        })
    }
}

impl CheckedConfig {
    /// The configuration. latchkey blocks the request leaves out keep `current` (so that a
    /// client that only knows the original's API does not reset them when it replaces a
    /// configuration), or take the engine's defaults for a new tenant.
    pub(super) fn into_config(self, current: Option<&TenantConfig>) -> TenantConfig {
        let Self {
            mut config,
            related_origins,
            signing,
            counter,
            backup_eligibility,
            discoverable_login,
            audit,
            hanko_public,
            authenticator_policy,
            passkey_extensions,
            mfa_extensions,
        } = self;
        if let Some(current) = current {
            config.relying_party.related_origins = current.relying_party.related_origins.clone();
            config.passkey.extensions = current.passkey.extensions.clone();
            config.mfa.extensions = current.mfa.extensions.clone();
            config.hanko_public = current.hanko_public.clone();
            config.authenticator_policy = current.authenticator_policy.clone();
            config.audit = current.audit.clone();
            config.counter = current.counter;
            config.backup_eligibility = current.backup_eligibility;
            config.discoverable_timeout_ms = current.discoverable_timeout_ms;
            config.signing_algorithm = current.signing_algorithm;
            config.rsa_bits = current.rsa_bits;
        }
        if let Some(related_origins) = related_origins {
            config.relying_party.related_origins = related_origins;
        }
        if let Some(signing) = signing {
            config.signing_algorithm = signing.algorithm.unwrap_or(config.signing_algorithm);
            config.rsa_bits = signing.rsa_bits.unwrap_or(config.rsa_bits);
        }
        if let Some(extensions) = passkey_extensions {
            config.passkey.extensions = extensions;
        }
        if let Some(extensions) = mfa_extensions {
            config.mfa.extensions = extensions;
        }
        config.counter = counter.unwrap_or(config.counter);
        config.backup_eligibility = backup_eligibility.unwrap_or(config.backup_eligibility);
        if let Some(discoverable_login) = discoverable_login {
            config.discoverable_timeout_ms = discoverable_login.timeout;
        }
        if let Some(mut hanko_public) = hanko_public {
            // The admin API never shows an SMTP password (see `ConfigResponse`), so a block
            // read, edited and written back keeps the one stored for the same server.
            if let (Some(new), Some(old)) = (&mut hanko_public.smtp, &config.hanko_public.smtp)
                && new.password.is_empty()
                && new.host == old.host
                && new.user == old.user
            {
                new.password = old.password.clone();
            }
            hanko_public
                .third_party
                .keep_secrets(&config.hanko_public.third_party);
            config.hanko_public = hanko_public;
        }
        if let Some(authenticator_policy) = authenticator_policy {
            config.authenticator_policy = authenticator_policy.into();
        }
        if let Some(audit) = audit {
            config.audit = AuditConfig {
                store: audit.store.unwrap_or(config.audit.store),
                console: audit.console.unwrap_or(config.audit.console),
            };
        }
        config
    }
}

fn is_unset(extensions: &ExtensionSettings) -> bool {
    *extensions == ExtensionSettings::default()
}

fn at_least_one(violations: &mut Violations, field: &str, values: &[String]) {
    if values.is_empty() {
        violations.push(format!("{field} must contain at least 1 item"));
    }
}

fn overlay(
    settings: &mut AuthenticatorSettings,
    user_verification: Option<UserVerification>,
    attestation: Option<AttestationPreference>,
    resident_key: Option<ResidentKey>,
) {
    settings.user_verification = user_verification.unwrap_or(settings.user_verification);
    settings.attestation = attestation.unwrap_or(settings.attestation);
    settings.resident_key = resident_key.unwrap_or(settings.resident_key);
}

/// `GET /tenants/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Tenant)]
pub(super) struct TenantResponse {
    id: uuid::Uuid,
    display_name: String,
    config: ConfigResponse,
}

impl From<Tenant> for TenantResponse {
    fn from(tenant: Tenant) -> Self {
        Self {
            id: tenant.id.0,
            display_name: tenant.display_name,
            config: ConfigResponse::from(tenant.config),
        }
    }
}

/// A tenant's configuration as it is read: every block, with its defaults filled in. What
/// `GET` shows, `PUT` accepts unchanged.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TenantConfig)]
struct ConfigResponse {
    cors: CorsResponse,
    webauthn: WebauthnResponse,
    mfa: SettingsResponse,
    signing: SigningBody,
    #[schema(value_type = schemas::CounterRule)]
    counter: CounterRule,
    #[schema(value_type = schemas::BackupEligibilityRule)]
    backup_eligibility: BackupEligibilityRule,
    discoverable_login: DiscoverableLoginBody,
    audit: AuditResponse,
    #[schema(value_type = schemas::HankoPublicConfig)]
    hanko_public: HankoPublicConfig,
    authenticator_policy: AuthenticatorPolicyBody,
}

#[derive(Debug, Serialize, ToSchema)]
struct CorsResponse {
    allowed_origins: Vec<String>,
    allow_unsafe_wildcard: bool,
}

#[derive(Debug, Serialize, ToSchema)]
struct WebauthnResponse {
    relying_party: RelyingPartyResponse,
    #[serde(flatten)]
    settings: SettingsResponse,
}

#[derive(Debug, Serialize, ToSchema)]
struct RelyingPartyResponse {
    id: String,
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    icon: Option<String>,
    origins: Vec<String>,
    /// Absent when there are none, so that a tenant without them reads as the original shows it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_origins: Vec<String>,
}

/// The settings of one kind of ceremony (passkey or MFA).
#[derive(Debug, Serialize, ToSchema)]
struct SettingsResponse {
    timeout: u32,
    #[schema(value_type = schemas::UserVerification)]
    user_verification: UserVerification,
    /// Absent: any authenticator.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = schemas::Attachment, nullable = false)]
    attachment: Option<Attachment>,
    #[schema(value_type = schemas::AttestationPreference)]
    attestation_preference: AttestationPreference,
    #[schema(value_type = schemas::ResidentKey)]
    resident_key_requirement: ResidentKey,
    /// The extensions and hints the ceremonies ask for (latchkey's); absent while none are
    /// configured, so that such a tenant shows the original's shape.
    #[serde(skip_serializing_if = "is_unset")]
    #[schema(value_type = schemas::ExtensionSettings, required = false)]
    extensions: ExtensionSettings,
}

#[derive(Debug, Serialize, ToSchema)]
struct AuditResponse {
    store: bool,
    console: bool,
}

impl From<TenantConfig> for ConfigResponse {
    fn from(config: TenantConfig) -> Self {
        let RelyingPartyConfig {
            id,
            display_name,
            icon,
            origins,
            related_origins,
        } = config.relying_party;
        let signing = SigningBody {
            algorithm: Some(config.signing_algorithm),
            rsa_bits: (config.signing_algorithm == SigningAlgorithm::RS256)
                .then_some(config.rsa_bits),
        };
        Self {
            cors: CorsResponse {
                allowed_origins: config.cors.allowed_origins,
                allow_unsafe_wildcard: config.cors.allow_unsafe_wildcard,
            },
            webauthn: WebauthnResponse {
                relying_party: RelyingPartyResponse {
                    id,
                    display_name,
                    icon,
                    origins,
                    related_origins,
                },
                settings: SettingsResponse::from(config.passkey),
            },
            mfa: SettingsResponse::from(config.mfa),
            signing,
            counter: config.counter,
            backup_eligibility: config.backup_eligibility,
            discoverable_login: DiscoverableLoginBody {
                timeout: config.discoverable_timeout_ms,
            },
            audit: AuditResponse {
                store: config.audit.store,
                console: config.audit.console,
            },
            hanko_public: without_secrets(config.hanko_public),
            authenticator_policy: config.authenticator_policy.into(),
        }
    }
}

impl From<AuthenticatorSettings> for SettingsResponse {
    fn from(settings: AuthenticatorSettings) -> Self {
        Self {
            timeout: settings.timeout_ms,
            user_verification: settings.user_verification,
            attachment: settings.attachment,
            attestation_preference: settings.attestation,
            resident_key_requirement: settings.resident_key,
            extensions: settings.extensions,
        }
    }
}

/// The block as the admin API shows it: a tenant's SMTP password and its providers' client
/// secrets are written, never read back.
fn without_secrets(mut block: HankoPublicConfig) -> HankoPublicConfig {
    if let Some(smtp) = &mut block.smtp {
        smtp.password.clear();
    }
    block.third_party.redact_secrets();
    block
}

#[cfg(test)]
mod tests {
    use latchkey_engine::model::{CredentialProtection, Hint, TenantId, TenantKind};
    use serde_json::{Value, json};
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::*;

    fn request(body: Value) -> ConfigRequest {
        serde_json::from_value(body).unwrap()
    }

    fn built(body: Value, current: Option<&TenantConfig>) -> Result<TenantConfig, String> {
        request(body)
            .check()
            .map(|checked| checked.into_config(current))
    }

    fn rendered(config: TenantConfig) -> Value {
        let tenant = Tenant {
            id: TenantId(Uuid::nil()),
            display_name: "Example".to_owned(),
            kind: TenantKind::Organisation,
            config,
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        serde_json::to_value(TenantResponse::from(tenant)).unwrap()
    }

    /// The example of the original's documentation, with only the required fields.
    fn minimal() -> Value {
        json!({
            "cors": {"allowed_origins": ["https://example.com"], "allow_unsafe_wildcard": false},
            "webauthn": {
                "relying_party": {
                    "id": "example.com",
                    "display_name": "Example",
                    "origins": ["https://example.com"]
                },
                "timeout": 60000
            }
        })
    }

    #[test]
    fn minimal_body_takes_the_original_defaults() {
        let config = built(minimal(), None).unwrap();
        assert_eq!(
            rendered(config),
            json!({
                "id": "00000000-0000-0000-0000-000000000000",
                "display_name": "Example",
                "config": {
                    "cors": {"allowed_origins": ["https://example.com"], "allow_unsafe_wildcard": false},
                    "webauthn": {
                        "relying_party": {
                            "id": "example.com",
                            "display_name": "Example",
                            "origins": ["https://example.com"]
                        },
                        "timeout": 60000,
                        "user_verification": "required",
                        "attestation_preference": "direct",
                        "resident_key_requirement": "required"
                    },
                    "mfa": {
                        "timeout": 60000,
                        "user_verification": "preferred",
                        "attachment": "cross-platform",
                        "attestation_preference": "direct",
                        "resident_key_requirement": "discouraged"
                    },
                    "signing": {"algorithm": "RS256", "rsa_bits": 2048},
                    "counter": "reject",
                    "backup_eligibility": "audit_only",
                    "discoverable_login": {"timeout": 3600000},
                    "audit": {"store": true, "console": false},
                    "hanko_public": serde_json::to_value(HankoPublicConfig::default()).unwrap(),
                    "authenticator_policy": {}
                }
            })
        );
    }

    #[test]
    fn full_body_round_trips() {
        let config = json!({
            "cors": {"allowed_origins": ["https://a.example", "https://b.example"], "allow_unsafe_wildcard": true},
            "webauthn": {
                "relying_party": {
                    "id": "a.example",
                    "display_name": "A",
                    "icon": "https://a.example/icon.png",
                    "origins": ["https://a.example", "android:apk-key-hash:abc"],
                    "related_origins": ["https://a.example.de", "https://b.example"]
                },
                "timeout": 120000,
                "user_verification": "preferred",
                "attachment": "platform",
                "attestation_preference": "none",
                "resident_key_requirement": "preferred",
                "extensions": {
                    "cred_props": true,
                    "credential_protection": "user_verification_required",
                    "hints": ["client-device", "hybrid"],
                    "min_pin_length": true,
                    "large_blob": "preferred",
                    "prf": true
                }
            },
            "mfa": {
                "timeout": 30000,
                "user_verification": "discouraged",
                "attachment": "platform",
                "attestation_preference": "indirect",
                "resident_key_requirement": "required",
                "extensions": {
                    "cred_props": false,
                    "credential_protection": "user_verification_optional_with_credential_id_list",
                    "hints": ["security-key"],
                    "min_pin_length": false,
                    "prf": false
                }
            },
            "signing": {"algorithm": "ES256"},
            "counter": "audit_only",
            "backup_eligibility": "reject",
            "discoverable_login": {"timeout": 600000},
            "audit": {"store": false, "console": true},
            "hanko_public": {
                "enabled": true,
                "service": {"name": "A"},
                "session": {
                    "lifespan": "12h",
                    "enable_auth_token_header": true,
                    "issuer": "https://a.example",
                    "audience": ["a.example"],
                    "cookie": {"name": "a", "domain": "a.example", "http_only": true, "same_site": "lax", "secure": true}
                },
                "passcode": {"ttl": 600, "email": {"from_address": "login@a.example", "from_name": "A"}},
                "password": {"enabled": true, "min_password_length": 12},
                "emails": {"require_verification": false, "max_num_of_addresses": 3},
                "account": {"allow_deletion": true, "allow_signup": false},
                "webauthn": {"timeout": 120000, "user_verification": "required"},
                "rate_limiter": {
                    "enabled": true,
                    "passcode_limits": {"tokens": 5, "interval": "10m"},
                    "password_limits": {"tokens": 10, "interval": "1m"},
                    "token_limits": {"tokens": 3, "interval": "1m"}
                },
                "email_delivery": {"enabled": false},
                "third_party": {
                    "redirect_url": "https://a.example/thirdparty/callback",
                    "error_redirect_url": "https://a.example/error",
                    "allowed_redirect_urls": ["https://a.example/**"],
                    "providers": {
                        "google": {"enabled": false, "client_id": "", "secret": "", "allow_linking": true, "issuer": "https://idp.a.example", "authorization_endpoint": "", "token_endpoint": "", "userinfo_endpoint": ""},
                        "github": {"enabled": false, "client_id": "", "secret": "", "allow_linking": true, "issuer": "", "authorization_endpoint": "", "token_endpoint": "", "userinfo_endpoint": ""},
                        "apple": {"enabled": false, "client_id": "", "secret": "", "allow_linking": true, "issuer": "", "authorization_endpoint": "", "token_endpoint": "", "userinfo_endpoint": ""},
                        "discord": {"enabled": false, "client_id": "", "secret": "", "allow_linking": true, "issuer": "", "authorization_endpoint": "", "token_endpoint": "", "userinfo_endpoint": ""},
                        "microsoft": {"enabled": false, "client_id": "", "secret": "", "allow_linking": true, "issuer": "", "authorization_endpoint": "", "token_endpoint": "", "userinfo_endpoint": ""},
                        "linkedin": {"enabled": false, "client_id": "", "secret": "", "allow_linking": true, "issuer": "", "authorization_endpoint": "", "token_endpoint": "", "userinfo_endpoint": ""}
                    },
                    "custom_providers": {
                        "corp": {"enabled": false, "display_name": "Corp", "issuer": "https://sso.a.example", "client_id": "c", "secret": "", "scopes": ["openid", "email"], "allow_linking": false}
                    }
                },
                "saml": {
                    "enabled": true,
                    "endpoint_url": "https://login.a.example",
                    "audience_uri": "https://login.a.example/saml/metadata",
                    "default_redirect_url": "https://a.example/login",
                    "allowed_redirect_urls": ["https://a.example/**"],
                    "options": {
                        "sign_authn_requests": true, "force_login": false, "validate_encryption_cert": false,
                        "skip_signature_validation": false, "allow_missing_attributes": true
                    },
                    "identity_providers": [{
                        "enabled": true, "name": "A Corp", "domain": "a.example",
                        "metadata_url": "https://idp.a.example/metadata",
                        "attribute_map": {"email_verified": "email_verified"}
                    }]
                },
                "webhooks": {
                    "enabled": true,
                    "allow_time_expiration": true,
                    "hooks": [{"callback": "https://a.example/hooks", "events": ["user", "email.send"]}]
                },
                "smtp": {"host": "smtp.a.example", "port": 587, "tls": "starttls", "user": "a", "password": ""}
            },
            "authenticator_policy": {"minimum_certification": "L1plus"}
        });
        let parsed = built(config.clone(), None).unwrap();
        assert_eq!(parsed.signing_algorithm, SigningAlgorithm::ES256);
        let shown = rendered(parsed.clone());
        assert_eq!(shown["config"], config);
        // What GET shows, PUT accepts unchanged.
        assert_eq!(built(shown["config"].clone(), None).unwrap(), parsed);
    }

    #[test]
    fn an_smtp_password_is_written_never_shown_and_kept_when_left_blank() {
        let mut body = minimal();
        body["hanko_public"] = json!({
            "enabled": true,
            "smtp": {"host": "smtp.example", "user": "u", "password": "s3cret"}
        });
        let stored = built(body.clone(), None).unwrap();
        assert_eq!(
            stored
                .hanko_public
                .smtp
                .as_ref()
                .map(|smtp| smtp.password.as_str()),
            Some("s3cret")
        );
        let shown = rendered(stored.clone());
        assert_eq!(shown["config"]["hanko_public"]["smtp"]["password"], "");
        let again = built(shown["config"].clone(), Some(&stored)).unwrap();
        assert_eq!(again.hanko_public, stored.hanko_public);
        // Another server does not inherit the password.
        body["hanko_public"]["smtp"] = json!({"host": "other.example", "user": "u"});
        let moved = built(body, Some(&stored)).unwrap();
        assert_eq!(
            moved.hanko_public.smtp.map(|smtp| smtp.password),
            Some(String::new())
        );
    }

    #[test]
    fn replacing_keeps_latchkey_settings_the_body_leaves_out() {
        let mut current = built(minimal(), None).unwrap();
        current.counter = CounterRule::AuditOnly;
        current.backup_eligibility = BackupEligibilityRule::Reject;
        current.discoverable_timeout_ms = 1000;
        current.signing_algorithm = SigningAlgorithm::EdDSA;
        current.audit.console = true;
        current.authenticator_policy.minimum_certification = Some(CertificationLevel::L2);
        current.passkey.extensions.credential_protection =
            Some(CredentialProtection::UserVerificationRequired);

        let mut body = minimal();
        body["audit"] = json!({"store": false});
        let replaced = built(body.clone(), Some(&current)).unwrap();
        // A client that knows only the original's fields keeps the extensions it never saw.
        assert_eq!(replaced.passkey.extensions, current.passkey.extensions);
        body["webauthn"]["extensions"] = json!({"hints": ["hybrid"]});
        let changed = built(body.clone(), Some(&current)).unwrap();
        assert_eq!(changed.passkey.extensions.credential_protection, None);
        assert_eq!(changed.passkey.extensions.hints, [Hint::Hybrid]);
        let replaced = built(body, Some(&current)).unwrap();
        assert_eq!(replaced.counter, CounterRule::AuditOnly);
        assert_eq!(replaced.backup_eligibility, BackupEligibilityRule::Reject);
        assert_eq!(replaced.discoverable_timeout_ms, 1000);
        assert_eq!(replaced.signing_algorithm, SigningAlgorithm::EdDSA);
        assert_eq!(
            replaced.authenticator_policy.minimum_certification,
            Some(CertificationLevel::L2)
        );
        assert_eq!(
            replaced.audit,
            AuditConfig {
                store: false,
                console: true
            }
        );
    }

    #[test]
    fn related_origins_left_out_are_kept_and_an_empty_list_removes_them() {
        let mut current = built(minimal(), None).unwrap();
        current.relying_party.related_origins = vec!["https://example.de".to_owned()];

        let kept = built(minimal(), Some(&current)).unwrap();
        assert_eq!(kept.relying_party.related_origins, ["https://example.de"]);

        let mut body = minimal();
        body["webauthn"]["relying_party"]["related_origins"] = json!([]);
        let removed = built(body, Some(&current)).unwrap();
        assert!(removed.relying_party.related_origins.is_empty());
    }

    #[test]
    fn empty_fields_are_named() {
        let mut body = minimal();
        body["cors"]["allowed_origins"] = json!([]);
        body["webauthn"]["relying_party"]["display_name"] = json!("");
        body["webauthn"]["timeout"] = json!(0);
        body["mfa"] = json!({"timeout": 0});
        let error = built(body, None).unwrap_err();
        assert_eq!(
            error,
            "allowed_origins must contain at least 1 item and display_name is a required field \
             and timeout is a required field"
        );
    }

    #[test]
    fn absent_fields_fail_to_parse() {
        let mut body = minimal();
        body["webauthn"].as_object_mut().unwrap().remove("timeout");
        let error = serde_json::from_value::<ConfigRequest>(body).unwrap_err();
        assert_eq!(error.to_string(), "missing field `timeout`");
    }

    #[test]
    fn rsa_bits_are_carried_to_the_engine() {
        let mut body = minimal();
        body["signing"] = json!({"algorithm": "RS256", "rsa_bits": 4096});
        assert_eq!(built(body, None).unwrap().rsa_bits, 4096);
    }

    #[test]
    fn the_minimum_certification_is_set_and_cleared() {
        let current = built(minimal(), None).unwrap();
        let mut body = minimal();
        body["authenticator_policy"] = json!({"minimum_certification": "L3plus"});
        let strict = built(body.clone(), Some(&current)).unwrap();
        assert_eq!(
            strict.authenticator_policy.minimum_certification,
            Some(CertificationLevel::L3Plus)
        );
        body["authenticator_policy"] = json!({"minimum_certification": null});
        let cleared = built(body.clone(), Some(&strict)).unwrap();
        assert_eq!(cleared.authenticator_policy.minimum_certification, None);
        body["authenticator_policy"] = json!({"minimum_certification": "L4"});
        assert!(serde_json::from_value::<ConfigRequest>(body).is_err());
    }
}
