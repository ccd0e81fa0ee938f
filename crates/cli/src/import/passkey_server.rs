//! Tenants of a Hanko passkey-server database (schema of teamhanko/passkey-server
//! `server/persistence/migrations/`, up to 20240322134127_create_mfa_configs).
//!
//! A tenant keeps its id (clients put it in URLs). Its API keys, stored there in clear, become
//! latchkey API keys (their hashes); its other secrets open its signing keys, which latchkey
//! seals with its master key under the same kid. Users keep the tenant's user ids, credentials
//! their IDs, keys, counters, transports, AAGUIDs and backup flags.

use std::collections::HashMap;

use latchkey_engine::import::{
    ImportBatch, ImportTenant, ImportedApiKey, ImportedSigningKey, OriginalSecret,
    open_original_jwk,
};
use latchkey_engine::model::{
    Attachment, AttestationPreference, AuthenticatorSettings, Credential, ExtensionSettings,
    ResidentKey, Tenant, TenantConfig, TenantId, TenantKind, User, UserId, UserVerification,
};
use sqlx::postgres::PgRow;
use time::PrimitiveDateTime;
use uuid::Uuid;

use super::source::{Source, base64url, column, counter, engine_error, utc};

const ORIGINAL: &str = "Hanko passkey-server";

/// The columns read; a database without one of them is refused.
const COLUMNS: &[(&str, &str)] = &[
    ("tenants", "id"),
    ("tenants", "display_name"),
    ("tenants", "created_at"),
    ("configs", "tenant_id"),
    ("webauthn_configs", "timeout"),
    ("webauthn_configs", "user_verification"),
    ("webauthn_configs", "attachment"),
    ("webauthn_configs", "attestation_preference"),
    ("webauthn_configs", "resident_key_requirement"),
    ("relying_parties", "rp_id"),
    ("relying_parties", "display_name"),
    ("relying_parties", "icon"),
    ("relying_parties", "webauthn_config_id"),
    ("webauthn_origins", "origin"),
    ("webauthn_origins", "relying_party_id"),
    ("cors", "allow_unsafe"),
    ("cors_origins", "origin"),
    ("cors_origins", "cors_id"),
    ("audit_log_configs", "enable_storage"),
    ("audit_log_configs", "enable_console"),
    ("mfa_configs", "timeout"),
    ("mfa_configs", "user_verification"),
    ("mfa_configs", "attachment"),
    ("mfa_configs", "attestation_preference"),
    ("mfa_configs", "resident_key_requirement"),
    ("secrets", "name"),
    ("secrets", "key"),
    ("secrets", "is_api_secret"),
    ("webauthn_users", "user_id"),
    ("webauthn_users", "tenant_id"),
    ("webauthn_users", "icon"),
    ("webauthn_credentials", "public_key"),
    ("webauthn_credentials", "webauthn_user_id"),
    ("webauthn_credentials", "backup_eligible"),
    ("webauthn_credentials", "is_mfa"),
    ("webauthn_credentials", "last_used_at"),
    ("webauthn_credential_transports", "webauthn_credential_id"),
    ("jwks", "key_data"),
    ("jwks", "tenant_id"),
];

/// Reads the tenants `only` names (all if empty), each as one batch.
pub async fn read(source: &mut Source, only: &[Uuid]) -> Result<Vec<(Uuid, ImportBatch)>, String> {
    source.require_columns(ORIGINAL, COLUMNS).await?;
    let tenants = source
        .rows("SELECT id, display_name, created_at FROM tenants ORDER BY created_at, id")
        .await?;
    for wanted in only {
        if !tenants
            .iter()
            .any(|row| column::<Uuid>(row, "id").is_ok_and(|id| id == *wanted))
        {
            return Err(format!("the source has no tenant {wanted}"));
        }
    }
    // All at once, without a join: the original indexes transports by name first, so a join on
    // the credential id can cost a scan of the index per credential.
    let transports = transports(
        source
            .rows("SELECT name, webauthn_credential_id FROM webauthn_credential_transports ORDER BY name")
            .await?,
    )?;
    let mut batches = Vec::new();
    for row in &tenants {
        let id: Uuid = column(row, "id")?;
        if only.is_empty() || only.contains(&id) {
            let batch = read_tenant(source, row, &transports)
                .await
                .map_err(|e| format!("tenant {id}: {e}"))?;
            batches.push((id, batch));
        }
    }
    Ok(batches)
}

async fn read_tenant(
    source: &mut Source,
    row: &PgRow,
    transports: &HashMap<String, Vec<String>>,
) -> Result<ImportBatch, String> {
    let id: Uuid = column(row, "id")?;
    let tenant = TenantId(id);
    let config = read_config(source, id).await?;
    let secrets = source
        .rows_of(
            "SELECT s.id, s.name, s.key, s.is_api_secret, s.created_at FROM secrets s \
             JOIN configs c ON c.id = s.config_id WHERE c.tenant_id = $1 \
             ORDER BY s.created_at, s.id",
            id,
        )
        .await?;
    let mut api_keys = Vec::new();
    let mut jwk_secrets = Vec::new();
    for secret in &secrets {
        let key: String = column(secret, "key")?;
        if column(secret, "is_api_secret")? {
            api_keys.push(
                ImportedApiKey::new(
                    column(secret, "id")?,
                    column(secret, "name")?,
                    &key,
                    utc(column(secret, "created_at")?),
                )
                .map_err(engine_error)?,
            );
        } else {
            jwk_secrets.push(OriginalSecret::new(key));
        }
    }
    let signing_keys = read_jwks(
        source,
        "SELECT key_data, created_at FROM jwks WHERE tenant_id = $1 ORDER BY created_at, id",
        Some(id),
        &jwk_secrets,
    )
    .await?;

    let users = source
        .rows_of(
            "SELECT id, user_id, name, display_name, icon, created_at FROM webauthn_users \
             WHERE tenant_id = $1 ORDER BY created_at, id",
            id,
        )
        .await?
        .iter()
        .map(|row| {
            Ok(user(
                tenant,
                column(row, "id")?,
                column(row, "user_id")?,
                column(row, "name")?,
                column(row, "display_name")?,
                column(row, "icon")?,
                column(row, "created_at")?,
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let credentials = source
        .rows_of(
            "SELECT c.id, c.webauthn_user_id AS user_id, c.public_key, c.attestation_type, \
             c.aaguid, c.sign_count, c.name, c.last_used_at, c.backup_eligible, \
             c.backup_state, c.is_mfa, c.created_at FROM webauthn_credentials c \
             JOIN webauthn_users u ON u.id = c.webauthn_user_id \
             WHERE u.tenant_id = $1 ORDER BY c.created_at, c.id",
            id,
        )
        .await?
        .iter()
        .map(|row| {
            let is_mfa = column::<Option<bool>>(row, "is_mfa")?.unwrap_or(false);
            credential(tenant, row, transports, is_mfa)
        })
        .collect::<Result<Vec<_>, String>>()?;

    Ok(ImportBatch {
        tenant: ImportTenant::Create(Box::new(Tenant {
            id: tenant,
            display_name: column(row, "display_name")?,
            kind: TenantKind::Organisation,
            config,
            created_at: utc(column(row, "created_at")?),
        })),
        api_keys,
        signing_keys,
        users,
        credentials,
        emails: Vec::new(),
        passwords: Vec::new(),
        identities: Vec::new(),
    })
}

/// The tenant's configuration rows, flattened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRows {
    pub rp_id: String,
    pub rp_name: String,
    pub rp_icon: Option<String>,
    pub origins: Vec<String>,
    pub passkey: SettingsRow,
    /// `None` for a tenant made before MFA existed: the original's defaults apply.
    pub mfa: Option<SettingsRow>,
    pub cors_origins: Vec<String>,
    pub cors_allow_unsafe: bool,
    pub audit_store: bool,
    pub audit_console: bool,
}

/// A `webauthn_configs` or `mfa_configs` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsRow {
    pub timeout: i32,
    pub user_verification: String,
    pub attachment: Option<String>,
    pub attestation: String,
    pub resident_key: String,
}

async fn read_config(source: &mut Source, tenant: Uuid) -> Result<TenantConfig, String> {
    let rows = source
        .rows_of(
            "SELECT c.id AS config_id, w.timeout, w.user_verification, w.attachment, \
             w.attestation_preference, w.resident_key_requirement, r.id AS rp, r.rp_id, \
             r.display_name, r.icon FROM configs c \
             JOIN webauthn_configs w ON w.config_id = c.id \
             JOIN relying_parties r ON r.webauthn_config_id = w.id \
             WHERE c.tenant_id = $1 ORDER BY c.created_at DESC, c.id LIMIT 1",
            tenant,
        )
        .await?;
    let row = rows
        .first()
        .ok_or("it has no configuration with a relying party")?;
    let config_id: Uuid = column(row, "config_id")?;
    let rp: Uuid = column(row, "rp")?;
    let origins = strings(
        source
            .rows_of(
                "SELECT origin FROM webauthn_origins WHERE relying_party_id = $1 \
                 ORDER BY created_at, origin",
                rp,
            )
            .await?,
        "origin",
    )?;
    let mfa = source
        .rows_of(
            "SELECT timeout, user_verification, attachment, attestation_preference, \
             resident_key_requirement FROM mfa_configs WHERE config_id = $1 \
             ORDER BY created_at DESC LIMIT 1",
            config_id,
        )
        .await?
        .first()
        .map(settings_row)
        .transpose()?;
    let cors = source
        .rows_of(
            "SELECT id, allow_unsafe FROM cors WHERE config_id = $1 \
             ORDER BY created_at DESC LIMIT 1",
            config_id,
        )
        .await?;
    let (cors_origins, cors_allow_unsafe) = match cors.first() {
        Some(cors) => (
            strings(
                source
                    .rows_of(
                        "SELECT origin FROM cors_origins WHERE cors_id = $1 \
                         ORDER BY created_at, origin",
                        column(cors, "id")?,
                    )
                    .await?,
                "origin",
            )?,
            column::<Option<bool>>(cors, "allow_unsafe")?.unwrap_or(false),
        ),
        None => (Vec::new(), false),
    };
    let audit = source
        .rows_of(
            "SELECT enable_storage, enable_console FROM audit_log_configs WHERE config_id = $1 \
             ORDER BY created_at DESC LIMIT 1",
            config_id,
        )
        .await?;
    let (audit_store, audit_console) = match audit.first() {
        Some(audit) => (
            column::<Option<bool>>(audit, "enable_storage")?.unwrap_or(false),
            column::<Option<bool>>(audit, "enable_console")?.unwrap_or(true),
        ),
        None => (false, true),
    };
    tenant_config(ConfigRows {
        rp_id: column(row, "rp_id")?,
        rp_name: column(row, "display_name")?,
        rp_icon: column(row, "icon")?,
        origins,
        passkey: settings_row(row)?,
        mfa,
        cors_origins,
        cors_allow_unsafe,
        audit_store,
        audit_console,
    })
}

fn settings_row(row: &PgRow) -> Result<SettingsRow, String> {
    Ok(SettingsRow {
        timeout: column(row, "timeout")?,
        user_verification: column(row, "user_verification")?,
        attachment: column(row, "attachment")?,
        attestation: column(row, "attestation_preference")?,
        resident_key: column(row, "resident_key_requirement")?,
    })
}

/// The original's configuration as latchkey's. What the original has no setting for keeps
/// latchkey's default (counter and backup-eligibility rules, discoverable login lifetime, new
/// signing keys); the imported keys are RSA, so new keys are RS256 too.
pub fn tenant_config(rows: ConfigRows) -> Result<TenantConfig, String> {
    let mut config = TenantConfig::new(&rows.rp_id, &rows.rp_name, rows.origins);
    config.relying_party.icon = rows.rp_icon.filter(|icon| !icon.is_empty());
    config.passkey = settings(&rows.passkey)?;
    config.mfa = match &rows.mfa {
        Some(mfa) => settings(mfa)?,
        None => AuthenticatorSettings::mfa_defaults(config.passkey.timeout_ms),
    };
    config.cors.allowed_origins = rows.cors_origins;
    config.cors.allow_unsafe_wildcard = rows.cors_allow_unsafe;
    config.audit.store = rows.audit_store;
    config.audit.console = rows.audit_console;
    Ok(config)
}

fn settings(row: &SettingsRow) -> Result<AuthenticatorSettings, String> {
    let unknown =
        |what: &str, value: &str| format!("unknown {what} {value:?} in its configuration");
    Ok(AuthenticatorSettings {
        timeout_ms: u32::try_from(row.timeout)
            .map_err(|_| unknown("timeout", &row.timeout.to_string()))?,
        user_verification: UserVerification::parse(&row.user_verification)
            .ok_or_else(|| unknown("user_verification", &row.user_verification))?,
        attachment: match row.attachment.as_deref() {
            None | Some("") => None,
            Some("platform") => Some(Attachment::Platform),
            Some("cross-platform") => Some(Attachment::CrossPlatform),
            Some(other) => return Err(unknown("attachment", other)),
        },
        attestation: match row.attestation.as_str() {
            "none" => AttestationPreference::None,
            "indirect" => AttestationPreference::Indirect,
            "direct" => AttestationPreference::Direct,
            "enterprise" => AttestationPreference::Enterprise,
            other => return Err(unknown("attestation_preference", other)),
        },
        resident_key: match row.resident_key.as_str() {
            "discouraged" => ResidentKey::Discouraged,
            "preferred" => ResidentKey::Preferred,
            "required" => ResidentKey::Required,
            other => return Err(unknown("resident_key_requirement", other)),
        },
        extensions: ExtensionSettings::default(),
    })
}

/// A `webauthn_users` row; the icon the original requires may be empty.
pub fn user(
    tenant: TenantId,
    id: Uuid,
    external_id: String,
    name: String,
    display_name: String,
    icon: String,
    created_at: PrimitiveDateTime,
) -> User {
    User {
        id: UserId(id),
        tenant,
        external_id,
        name,
        display_name,
        icon: Some(icon).filter(|icon| !icon.is_empty()),
        created_at: utc(created_at),
    }
}

/// Transport names by credential id (as the source spells the id).
pub(super) fn transports(rows: Vec<PgRow>) -> Result<HashMap<String, Vec<String>>, String> {
    let mut by_credential: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        by_credential
            .entry(column(&row, "webauthn_credential_id")?)
            .or_default()
            .push(column(&row, "name")?);
    }
    Ok(by_credential)
}

/// A `webauthn_credentials` row of either original (`user_id` is the owner's row id).
pub(super) fn credential(
    tenant: TenantId,
    row: &PgRow,
    transports: &HashMap<String, Vec<String>>,
    is_mfa: bool,
) -> Result<Credential, String> {
    let id: String = column(row, "id")?;
    credential_of(
        tenant,
        CredentialRow {
            transports: transports.get(&id).cloned().unwrap_or_default(),
            id,
            user: column(row, "user_id")?,
            public_key: column(row, "public_key")?,
            attestation_type: column(row, "attestation_type")?,
            aaguid: column(row, "aaguid")?,
            sign_count: column(row, "sign_count")?,
            name: column(row, "name")?,
            last_used_at: column(row, "last_used_at")?,
            backup_eligible: column::<Option<bool>>(row, "backup_eligible")?.unwrap_or(false),
            backup_state: column::<Option<bool>>(row, "backup_state")?.unwrap_or(false),
            is_mfa,
            created_at: column(row, "created_at")?,
        },
    )
}

/// A credential row as both originals store it.
#[derive(Debug, Clone)]
pub struct CredentialRow {
    /// Base64url (no padding) of the credential ID.
    pub id: String,
    pub user: Uuid,
    /// Base64url (no padding) of the COSE_Key.
    pub public_key: String,
    pub attestation_type: String,
    pub aaguid: Uuid,
    pub sign_count: i32,
    pub name: Option<String>,
    pub last_used_at: Option<PrimitiveDateTime>,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub is_mfa: bool,
    pub transports: Vec<String>,
    pub created_at: PrimitiveDateTime,
}

pub fn credential_of(tenant: TenantId, row: CredentialRow) -> Result<Credential, String> {
    Ok(Credential {
        id: base64url("credential id", &row.id)?,
        tenant,
        user: UserId(row.user),
        name: row.name.filter(|name| !name.is_empty()),
        public_key: base64url("public key", &row.public_key)?,
        attestation_format: if row.attestation_type.is_empty() {
            "none".to_owned()
        } else {
            row.attestation_type
        },
        aaguid: row.aaguid.into_bytes(),
        sign_count: counter(row.sign_count)?,
        transports: row.transports,
        backup_eligible: row.backup_eligible,
        backup_state: row.backup_state,
        is_mfa: row.is_mfa,
        created_at: utc(row.created_at),
        last_used_at: row.last_used_at.map(utc),
        // The originals keep no extension outputs: unknown, as for a credential registered
        // without asking.
        discoverable: None,
        credential_protection: None,
        min_pin_length: None,
    })
}

/// The signing keys `sql` selects (`key_data`, `created_at`; `$1` bound to `tenant` if given),
/// oldest first, each opened with one of `secrets`.
pub(super) async fn read_jwks(
    source: &mut Source,
    sql: &str,
    tenant: Option<Uuid>,
    secrets: &[OriginalSecret],
) -> Result<Vec<ImportedSigningKey>, String> {
    let rows = match tenant {
        Some(tenant) => source.rows_of(sql, tenant).await?,
        None => source.rows(sql).await?,
    };
    if !rows.is_empty() && secrets.is_empty() {
        return Err("it has signing keys but no secret to decrypt them".to_owned());
    }
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let key_data: String = column(row, "key_data")?;
            let created_at: PrimitiveDateTime = column(row, "created_at")?;
            let jwk = open_original_jwk(&key_data, secrets)
                .map_err(|e| format!("signing key {} of {}: {e}", index + 1, rows.len()))?;
            Ok(ImportedSigningKey {
                jwk,
                created_at: utc(created_at),
            })
        })
        .collect()
}

fn strings(rows: Vec<PgRow>, name: &str) -> Result<Vec<String>, String> {
    rows.iter().map(|row| column(row, name)).collect()
}

#[cfg(test)]
mod tests;
