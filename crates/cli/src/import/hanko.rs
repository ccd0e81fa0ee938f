//! A Hanko backend v0.12 database (schema of teamhanko/hanko `backend/persistence/migrations/`
//! at tag backend/v0.12.0) into one latchkey tenant that serves the Hanko Public API.
//!
//! The original has no tenants: every row goes to the tenant named on the command line. Users
//! keep their UUIDs (which are also their WebAuthn user handles and the `sub` of their tokens),
//! emails their ids, passwords their bcrypt hashes, passkeys everything the originals store.

use std::collections::HashMap;

use latchkey_engine::import::{ImportBatch, ImportTenant, OriginalSecret};
use latchkey_engine::model::{Email, Identity, Password, TenantId, User, UserId};
use time::PrimitiveDateTime;
use uuid::Uuid;

use super::passkey_server::{credential, read_jwks, transports};
use super::source::{Source, column, utc};

const ORIGINAL: &str = "Hanko backend v0.12";

/// The columns read; a database without one of them is refused.
const COLUMNS: &[(&str, &str)] = &[
    ("users", "id"),
    ("users", "created_at"),
    ("emails", "user_id"),
    ("emails", "address"),
    ("emails", "verified"),
    ("primary_emails", "email_id"),
    ("password_credentials", "user_id"),
    ("password_credentials", "password"),
    ("webauthn_credentials", "user_id"),
    ("webauthn_credentials", "public_key"),
    ("webauthn_credentials", "backup_eligible"),
    ("webauthn_credentials", "last_used_at"),
    ("webauthn_credential_transports", "webauthn_credential_id"),
    ("identities", "provider_id"),
    ("identities", "provider_name"),
    ("identities", "email_id"),
    ("jwks", "key_data"),
    ("jwks", "created_at"),
];

/// Reads the whole database as one batch for `tenant`; `secrets` open its signing keys.
pub async fn read(
    source: &mut Source,
    tenant: Uuid,
    secrets: &[OriginalSecret],
) -> Result<(Uuid, ImportBatch), String> {
    source.require_columns(ORIGINAL, COLUMNS).await?;
    let tenant_id = TenantId(tenant);
    let emails = source
        .rows(
            "SELECT e.id, e.user_id, e.address, e.verified, e.created_at, e.updated_at, \
             p.id IS NOT NULL AS is_primary FROM emails e \
             LEFT JOIN primary_emails p ON p.email_id = e.id ORDER BY e.created_at, e.id",
        )
        .await?
        .iter()
        .map(|row| {
            Ok(email(
                tenant_id,
                EmailRow {
                    id: column(row, "id")?,
                    user: column(row, "user_id")?,
                    address: column(row, "address")?,
                    verified: column(row, "verified")?,
                    primary: column(row, "is_primary")?,
                    created_at: column(row, "created_at")?,
                    updated_at: column(row, "updated_at")?,
                },
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let primary: HashMap<UserId, &str> = emails
        .iter()
        .filter(|email| email.primary)
        .filter_map(|email| Some((email.user?, email.address.as_str())))
        .collect();
    let users = source
        .rows("SELECT id, created_at FROM users ORDER BY created_at, id")
        .await?
        .iter()
        .map(|row| {
            let id: Uuid = column(row, "id")?;
            let address = primary.get(&UserId(id)).copied();
            Ok(user(tenant_id, id, address, column(row, "created_at")?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let passwords = source
        .rows(
            "SELECT user_id, password, created_at, updated_at FROM password_credentials \
             ORDER BY created_at, id",
        )
        .await?
        .iter()
        .map(|row| {
            Ok(Password {
                tenant: tenant_id,
                user: UserId(column(row, "user_id")?),
                hash: bcrypt_hash(column(row, "password")?)?,
                created_at: utc(column(row, "created_at")?),
                updated_at: utc(column(row, "updated_at")?),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let transports = transports(
        source
            .rows(
                "SELECT name, webauthn_credential_id FROM webauthn_credential_transports \
                 ORDER BY name",
            )
            .await?,
    )?;
    let credentials = source
        .rows(
            "SELECT id, user_id, public_key, attestation_type, aaguid, sign_count, name, \
             last_used_at, backup_eligible, backup_state, created_at FROM webauthn_credentials \
             ORDER BY created_at, id",
        )
        .await?
        .iter()
        // The Hanko Public API has no MFA credentials: every passkey logs in.
        .map(|row| credential(tenant_id, row, &transports, false))
        .collect::<Result<Vec<_>, String>>()?;
    let identities = source
        .rows(
            "SELECT i.provider_id, i.provider_name, i.email_id, e.user_id, i.created_at, \
             i.updated_at FROM identities i JOIN emails e ON e.id = i.email_id \
             WHERE e.user_id IS NOT NULL ORDER BY i.created_at, i.id",
        )
        .await?
        .iter()
        .map(|row| {
            Ok(Identity {
                tenant: tenant_id,
                provider: column(row, "provider_name")?,
                subject: column(row, "provider_id")?,
                user: UserId(column(row, "user_id")?),
                email: Some(column(row, "email_id")?),
                created_at: utc(column(row, "created_at")?),
                updated_at: utc(column(row, "updated_at")?),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let signing_keys = read_jwks(
        source,
        "SELECT key_data, created_at FROM jwks ORDER BY created_at, id",
        None,
        secrets,
    )
    .await
    .map_err(|e| {
        if secrets.is_empty() {
            format!("{e}: give the original's secrets.keys with --secret or --secrets-file")
        } else {
            e
        }
    })?;
    Ok((
        tenant,
        ImportBatch {
            tenant: ImportTenant::Existing(tenant_id),
            api_keys: Vec::new(),
            signing_keys,
            users,
            credentials,
            emails,
            passwords,
            identities,
        },
    ))
}

/// An `emails` row with whether `primary_emails` names it.
#[derive(Debug, Clone)]
pub struct EmailRow {
    pub id: Uuid,
    pub user: Option<Uuid>,
    pub address: String,
    pub verified: bool,
    pub primary: bool,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

/// latchkey keeps addresses lower-cased (and so unique regardless of case).
pub fn email(tenant: TenantId, row: EmailRow) -> Email {
    Email {
        id: row.id,
        tenant,
        user: row.user.map(UserId),
        address: row.address.to_lowercase(),
        verified: row.verified,
        primary: row.primary,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }
}

/// A user as the Hanko Public API makes them: the UUID is also the external id, the primary
/// address (if any) the name.
pub fn user(
    tenant: TenantId,
    id: Uuid,
    primary_address: Option<&str>,
    created_at: PrimitiveDateTime,
) -> User {
    let address = primary_address.unwrap_or_default().to_lowercase();
    User {
        id: UserId(id),
        tenant,
        external_id: id.hyphenated().to_string(),
        name: address.clone(),
        display_name: address,
        icon: None,
        created_at: utc(created_at),
    }
}

/// The original hashes passwords with bcrypt; anything else would never verify here.
pub fn bcrypt_hash(hash: String) -> Result<String, String> {
    if ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|prefix| hash.starts_with(prefix))
    {
        Ok(hash)
    } else {
        Err("a password_credentials row does not hold a bcrypt hash".to_owned())
    }
}

#[cfg(test)]
mod tests;
