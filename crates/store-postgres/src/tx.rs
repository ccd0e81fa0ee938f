//! Transactions: every query of the [`ReadTx`] and [`WriteTx`] contract.

use std::fmt;
use std::marker::PhantomData;

use latchkey_engine::model::{
    ApiKey, AuditEvent, AuditQuery, AuthenticatorPolicy, Ceremony, Community, Credential, License,
    Link, ServiceSecret, SigningKey, Tenant, TenantId, TenantKind, Transaction, User, UserId,
};
use latchkey_engine::{Entity, Error, Page, Paged, ReadTx, Result, WriteTx};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{Postgres, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{corrupt, db};
use crate::rows;

/// Marks a transaction begun by [`latchkey_engine::Store::read`]; PostgreSQL refuses writes in it.
#[derive(Debug)]
pub enum ReadOnly {}

/// Marks a transaction begun by [`latchkey_engine::Store::write`].
#[derive(Debug)]
pub enum ReadWrite {}

/// An open transaction; dropping it without [`WriteTx::commit`] rolls it back.
pub struct PostgresTx<M> {
    tx: sqlx::Transaction<'static, Postgres>,
    // `fn() -> M` keeps the marker from affecting `Send`/`Sync`.
    mode: PhantomData<fn() -> M>,
}

impl<M> PostgresTx<M> {
    pub(crate) fn new(tx: sqlx::Transaction<'static, Postgres>) -> Self {
        Self {
            tx,
            mode: PhantomData,
        }
    }

    async fn optional<T>(
        &mut self,
        query: Query<'_, Postgres, PgArguments>,
        decode: Decoder<T>,
    ) -> Result<Option<T>> {
        query
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    async fn all<T>(
        &mut self,
        query: Query<'_, Postgres, PgArguments>,
        decode: Decoder<T>,
    ) -> Result<Vec<T>> {
        query
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?
            .iter()
            .map(decode)
            .collect()
    }

    async fn count(&mut self, query: Query<'_, Postgres, PgArguments>) -> Result<u64> {
        let total: i64 = query
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db)?
            .try_get(0)
            .map_err(db)?;
        u64::try_from(total).map_err(|_| corrupt("row count"))
    }

    async fn execute(&mut self, query: Query<'_, Postgres, PgArguments>) -> Result<u64> {
        Ok(query
            .execute(&mut *self.tx)
            .await
            .map_err(db)?
            .rows_affected())
    }
}

impl<M> fmt::Debug for PostgresTx<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTx").finish_non_exhaustive()
    }
}

type Decoder<T> = fn(&PgRow) -> Result<T>;

/// `ORDER BY` for a page: creation time, then id so that rows created in the same microsecond
/// still have one order and pages neither repeat nor skip them.
fn order(page: Page) -> &'static str {
    if page.descending {
        "ORDER BY created_at DESC, id DESC"
    } else {
        "ORDER BY created_at, id"
    }
}

/// `LIMIT` and `OFFSET` as PostgreSQL's bigint. An offset past `i64::MAX` (page numbers near
/// `u32::MAX` times large pages) is clamped: it is past every row either way.
fn limits(page: Page) -> (i64, i64) {
    (
        i64::from(page.per_page),
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
    )
}

/// Every filter of an [`AuditQuery`], with an absent one as NULL (or an empty array) that matches
/// everything. Time bounds are exclusive. Substrings use `strpos`, not `LIKE`, so `%` and `_` in a
/// search are plain text.
const AUDIT_FILTER: &str = "WHERE tenant_id = $1
      AND ($2::timestamptz IS NULL OR created_at > $2)
      AND ($3::timestamptz IS NULL OR created_at < $3)
      AND (cardinality($4::text[]) = 0 OR kind = ANY($4))
      AND ($5::text IS NULL OR strpos(actor_user_id, $5) > 0)
      AND ($6::text IS NULL OR strpos(source_ip, $6) > 0)
      AND ($7::text IS NULL OR strpos(actor_user_id, $7) > 0 OR strpos(source_ip, $7) > 0)";

fn audit_query<'q>(
    sql: &'q str,
    tenant: TenantId,
    query: &'q AuditQuery,
) -> Query<'q, Postgres, PgArguments> {
    sqlx::query(sql)
        .bind(tenant.0)
        .bind(query.start_time)
        .bind(query.end_time)
        .bind(&query.kinds)
        .bind(query.actor_user_id.as_deref())
        .bind(query.source_ip.as_deref())
        .bind(query.text.as_deref())
}

fn credential_query(
    sql: &str,
    tenant: TenantId,
    user: Option<Uuid>,
) -> Query<'_, Postgres, PgArguments> {
    let query = sqlx::query(sql).bind(tenant.0);
    match user {
        Some(user) => query.bind(user),
        None => query,
    }
}

impl<M> ReadTx for PostgresTx<M> {
    async fn tenant(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let sql = format!("{} WHERE t.id = $1", rows::SELECT_TENANTS);
        self.optional(sqlx::query(&sql).bind(id.0), rows::tenant)
            .await
    }

    async fn organisation(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let sql = format!("{} WHERE t.id = $1 AND t.kind = $2", rows::SELECT_TENANTS);
        let query = sqlx::query(&sql).bind(id.0).bind(TenantKind::ORGANISATION);
        self.optional(query, rows::tenant).await
    }

    async fn organisations(&mut self) -> Result<Vec<Tenant>> {
        let sql = format!(
            "{} WHERE t.kind = $1 ORDER BY t.created_at, t.id",
            rows::SELECT_TENANTS
        );
        self.all(
            sqlx::query(&sql).bind(TenantKind::ORGANISATION),
            rows::tenant,
        )
        .await
    }

    async fn api_key_by_hash(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<ApiKey>> {
        let sql = format!(
            "SELECT {} FROM api_keys WHERE tenant_id = $1 AND secret_hash = $2",
            rows::API_KEY
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(hash.as_slice()),
            rows::api_key,
        )
        .await
    }

    async fn api_keys(&mut self, tenant: TenantId) -> Result<Vec<ApiKey>> {
        let sql = format!(
            "SELECT {} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id",
            rows::API_KEY
        );
        self.all(sqlx::query(&sql).bind(tenant.0), rows::api_key)
            .await
    }

    async fn signing_keys(&mut self, tenant: TenantId) -> Result<Vec<SigningKey>> {
        let sql = format!(
            "SELECT {} FROM signing_keys WHERE tenant_id = $1 ORDER BY created_at, id",
            rows::SIGNING_KEY
        );
        self.all(sqlx::query(&sql).bind(tenant.0), rows::signing_key)
            .await
    }

    async fn user(&mut self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {} FROM users WHERE tenant_id = $1 AND id = $2",
            rows::USER
        );
        self.optional(sqlx::query(&sql).bind(tenant.0).bind(id.0), rows::user)
            .await
    }

    async fn user_by_external_id(
        &mut self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {} FROM users WHERE tenant_id = $1 AND external_id = $2",
            rows::USER
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(external_id),
            rows::user,
        )
        .await
    }

    async fn users(&mut self, tenant: TenantId, page: Page) -> Result<Paged<User>> {
        let (limit, offset) = limits(page);
        let sql = format!(
            "SELECT {} FROM users WHERE tenant_id = $1 {} LIMIT $2 OFFSET $3",
            rows::USER,
            order(page)
        );
        let items = self
            .all(
                sqlx::query(&sql).bind(tenant.0).bind(limit).bind(offset),
                rows::user,
            )
            .await?;
        let total = self
            .count(sqlx::query("SELECT count(*) FROM users WHERE tenant_id = $1").bind(tenant.0))
            .await?;
        Ok(Paged { items, total })
    }

    async fn credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<Option<Credential>> {
        let sql = format!(
            "SELECT {} FROM credentials WHERE tenant_id = $1 AND id = $2",
            rows::CREDENTIAL
        );
        self.optional(sqlx::query(&sql).bind(tenant.0).bind(id), rows::credential)
            .await
    }

    async fn credentials(
        &mut self,
        tenant: TenantId,
        user: Option<UserId>,
        page: Page,
    ) -> Result<Paged<Credential>> {
        let (limit, offset) = limits(page);
        let user = user.map(|u| u.0);
        // Two statements rather than `$2 IS NULL OR user_id = $2`, which a cached generic plan
        // could not answer from the (tenant, user) index.
        let (filter, next) = match user {
            Some(_) => ("WHERE tenant_id = $1 AND user_id = $2", 3),
            None => ("WHERE tenant_id = $1", 2),
        };
        let sql = format!(
            "SELECT {} FROM credentials {filter} {} LIMIT ${next} OFFSET ${}",
            rows::CREDENTIAL,
            order(page),
            next + 1
        );
        let query = credential_query(&sql, tenant, user)
            .bind(limit)
            .bind(offset);
        let items = self.all(query, rows::credential).await?;
        let count = format!("SELECT count(*) FROM credentials {filter}");
        let total = self.count(credential_query(&count, tenant, user)).await?;
        Ok(Paged { items, total })
    }

    async fn transaction_by_challenge(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Transaction>> {
        // Challenges are random, so two transactions sharing one is not expected; should it
        // happen, the newest one answers.
        let sql = format!(
            "SELECT {} FROM transactions WHERE tenant_id = $1 AND challenge = $2 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
            rows::TRANSACTION
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(challenge),
            rows::transaction,
        )
        .await
    }

    async fn transactions(&mut self, tenant: TenantId, user: UserId) -> Result<Vec<Transaction>> {
        let sql = format!(
            "SELECT {} FROM transactions WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id",
            rows::TRANSACTION
        );
        self.all(
            sqlx::query(&sql).bind(tenant.0).bind(user.0),
            rows::transaction,
        )
        .await
    }

    async fn audit_events(
        &mut self,
        tenant: TenantId,
        query: &AuditQuery,
        page: Page,
    ) -> Result<Paged<AuditEvent>> {
        let (limit, offset) = limits(page);
        let sql = format!(
            "SELECT {} FROM audit_events {AUDIT_FILTER} ORDER BY created_at DESC, id DESC LIMIT $8 OFFSET $9",
            rows::AUDIT_EVENT
        );
        let items = self
            .all(
                audit_query(&sql, tenant, query).bind(limit).bind(offset),
                rows::audit_event,
            )
            .await?;
        let count = format!("SELECT count(*) FROM audit_events {AUDIT_FILTER}");
        let total = self.count(audit_query(&count, tenant, query)).await?;
        Ok(Paged { items, total })
    }

    async fn community(&mut self, id: &str) -> Result<Option<Community>> {
        let sql = format!("{} WHERE c.id = $1", rows::SELECT_COMMUNITIES);
        self.optional(sqlx::query(&sql).bind(id), rows::community)
            .await
    }

    async fn communities(&mut self, tenant: TenantId) -> Result<Vec<Community>> {
        let sql = format!(
            "{} WHERE c.tenant_id = $1 ORDER BY c.created_at, c.id",
            rows::SELECT_COMMUNITIES
        );
        self.all(sqlx::query(&sql).bind(tenant.0), rows::community)
            .await
    }

    async fn license_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<License>> {
        let sql = format!("SELECT {} FROM licenses WHERE key_hash = $1", rows::LICENSE);
        self.optional(sqlx::query(&sql).bind(hash.as_slice()), rows::license)
            .await
    }

    async fn licenses(&mut self, tenant: TenantId) -> Result<Vec<License>> {
        let sql = format!(
            "SELECT {} FROM licenses WHERE tenant_id = $1 ORDER BY created_at, id",
            rows::LICENSE
        );
        self.all(sqlx::query(&sql).bind(tenant.0), rows::license)
            .await
    }

    async fn vendor_metadata(
        &mut self,
        realm: Option<TenantId>,
        aaguids: &[Uuid],
    ) -> Result<Vec<AuthenticatorPolicy>> {
        // `realm_id IS NULL` for the global records rather than `IS NOT DISTINCT FROM $1`,
        // which no index answers.
        let (filter, list) = match realm {
            Some(_) => ("realm_id = $1", "$2"),
            None => ("realm_id IS NULL", "$1"),
        };
        let sql = format!(
            "SELECT {} FROM vendor_metadata WHERE {filter} \
             AND (cardinality({list}::uuid[]) = 0 OR aaguid = ANY({list})) ORDER BY aaguid",
            rows::VENDOR_METADATA
        );
        let query = match realm {
            Some(realm) => sqlx::query(&sql).bind(realm.0),
            None => sqlx::query(&sql),
        };
        self.all(query.bind(aaguids), rows::vendor_metadata).await
    }

    async fn links(
        &mut self,
        realm: TenantId,
        user: Option<UserId>,
        did: Option<&str>,
    ) -> Result<Vec<Link>> {
        let sql = format!(
            "SELECT {} FROM links WHERE realm_id = $1 \
             AND ($2::uuid IS NULL OR user_id = $2) AND ($3::text IS NULL OR did = $3) \
             ORDER BY linked_at, user_id, did, credential_id",
            rows::LINK
        );
        let query = sqlx::query(&sql)
            .bind(realm.0)
            .bind(user.map(|user| user.0))
            .bind(did);
        self.all(query, rows::link).await
    }

    async fn service_secret(&mut self, name: &str) -> Result<Option<ServiceSecret>> {
        let sql = format!(
            "SELECT {} FROM service_secrets WHERE name = $1",
            rows::SERVICE_SECRET
        );
        self.optional(sqlx::query(&sql).bind(name), rows::service_secret)
            .await
    }
}

impl WriteTx for PostgresTx<ReadWrite> {
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let query = match &tenant.kind {
            TenantKind::Organisation => sqlx::query(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 VALUES ($1, $2, $3, NULL, $4, $5)",
            )
            .bind(tenant.id.0)
            .bind(&tenant.display_name)
            .bind(TenantKind::ORGANISATION)
            .bind(Json(&tenant.config))
            .bind(tenant.created_at),
            // Made from the community's row: a realm of a community that does not exist, or
            // exists in another organisation, inserts nothing.
            TenantKind::Realm {
                organisation,
                community,
            } => sqlx::query(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 SELECT $1, $2, $3, id, $4, $5 FROM communities WHERE id = $6 AND tenant_id = $7",
            )
            .bind(tenant.id.0)
            .bind(&tenant.display_name)
            .bind(TenantKind::REALM)
            .bind(Json(&tenant.config))
            .bind(tenant.created_at)
            .bind(community.as_str())
            .bind(organisation.0),
        };
        match self.execute(query).await? {
            0 => Err(Error::NotFound(Entity::Community)),
            _ => Ok(()),
        }
    }

    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let query = sqlx::query("UPDATE tenants SET display_name = $2, config = $3 WHERE id = $1")
            .bind(tenant.id.0)
            .bind(&tenant.display_name)
            .bind(Json(&tenant.config));
        match self.execute(query).await? {
            0 => Err(Error::NotFound(Entity::Tenant)),
            _ => Ok(()),
        }
    }

    async fn delete_tenant(&mut self, id: TenantId) -> Result<bool> {
        // A realm goes with its community (the community's deletion cascades to it).
        let community = sqlx::query(
            "DELETE FROM communities WHERE id = (SELECT community_id FROM tenants WHERE id = $1)",
        );
        let communities = self.execute(community.bind(id.0)).await?;
        let tenant = sqlx::query("DELETE FROM tenants WHERE id = $1").bind(id.0);
        Ok(communities + self.execute(tenant).await? > 0)
    }

    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO api_keys (tenant_id, id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(key.tenant.0)
        .bind(key.id)
        .bind(&key.name)
        .bind(key.secret_hash.as_slice())
        .bind(key.created_at);
        self.execute(query).await.map(drop)
    }

    async fn delete_api_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM api_keys WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    async fn insert_signing_key(&mut self, key: &SigningKey) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO signing_keys (tenant_id, id, algorithm, encrypted_private_key, public_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key.tenant.0)
        .bind(key.id)
        .bind(key.algorithm.as_str())
        .bind(&key.encrypted_private_key)
        .bind(&key.public_key)
        .bind(key.created_at);
        self.execute(query).await.map(drop)
    }

    async fn delete_signing_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM signing_keys WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    async fn upsert_user(&mut self, user: &User) -> Result<User> {
        // One statement, so concurrent upserts of the same external id cannot both insert.
        let sql = format!(
            "INSERT INTO users (tenant_id, id, external_id, name, display_name, icon, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT ON CONSTRAINT users_external_id_key DO UPDATE \
             SET name = EXCLUDED.name, display_name = EXCLUDED.display_name, icon = EXCLUDED.icon \
             RETURNING {}",
            rows::USER
        );
        let query = sqlx::query(&sql)
            .bind(user.tenant.0)
            .bind(user.id.0)
            .bind(&user.external_id)
            .bind(&user.name)
            .bind(&user.display_name)
            .bind(user.icon.as_deref())
            .bind(user.created_at);
        let row = query.fetch_one(&mut *self.tx).await.map_err(db)?;
        rows::user(&row)
    }

    async fn delete_user(&mut self, tenant: TenantId, id: UserId) -> Result<bool> {
        let query = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id.0);
        Ok(self.execute(query).await? > 0)
    }

    async fn insert_credential(&mut self, credential: &Credential) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO credentials (tenant_id, id, user_id, name, public_key, attestation_format, aaguid, \
             sign_count, transports, backup_eligible, backup_state, is_mfa, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(credential.tenant.0)
        .bind(&credential.id)
        .bind(credential.user.0)
        .bind(credential.name.as_deref())
        .bind(&credential.public_key)
        .bind(&credential.attestation_format)
        .bind(Uuid::from_bytes(credential.aaguid))
        .bind(i64::from(credential.sign_count))
        .bind(&credential.transports)
        .bind(credential.backup_eligible)
        .bind(credential.backup_state)
        .bind(credential.is_mfa)
        .bind(credential.created_at)
        .bind(credential.last_used_at);
        self.execute(query).await.map(drop)
    }

    async fn rename_credential(&mut self, tenant: TenantId, id: &[u8], name: &str) -> Result<bool> {
        let query =
            sqlx::query("UPDATE credentials SET name = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.0)
                .bind(id)
                .bind(name);
        Ok(self.execute(query).await? > 0)
    }

    async fn record_login(
        &mut self,
        tenant: TenantId,
        id: &[u8],
        sign_count: u32,
        backup_state: bool,
        at: OffsetDateTime,
    ) -> Result<bool> {
        let query = sqlx::query(
            "UPDATE credentials SET sign_count = GREATEST(sign_count, $3), backup_state = $4, last_used_at = $5 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.0)
        .bind(id)
        .bind(i64::from(sign_count))
        .bind(backup_state)
        .bind(at);
        Ok(self.execute(query).await? > 0)
    }

    async fn delete_credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<bool> {
        let query = sqlx::query("DELETE FROM credentials WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    async fn insert_ceremony(&mut self, ceremony: &Ceremony) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO ceremonies (tenant_id, id, challenge, operation, user_id, user_verification, \
             allowed_credentials, transaction_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(ceremony.tenant.0)
        .bind(ceremony.id)
        .bind(&ceremony.challenge)
        .bind(ceremony.operation.as_str())
        .bind(ceremony.user.map(|u| u.0))
        .bind(ceremony.user_verification.as_str())
        .bind(&ceremony.allowed_credentials)
        .bind(ceremony.transaction)
        .bind(ceremony.expires_at);
        self.execute(query).await.map(drop)
    }

    /// A concurrent finish blocks on the row lock of the first one's DELETE and, once that
    /// commits, finds no row: exactly one of them gets the ceremony.
    async fn take_ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        let sql = format!(
            "DELETE FROM ceremonies WHERE tenant_id = $1 AND challenge = $2 RETURNING {}",
            rows::CEREMONY
        );
        self.optional(
            sqlx::query(&sql).bind(tenant.0).bind(challenge),
            rows::ceremony,
        )
        .await
    }

    async fn delete_expired_ceremonies(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.execute(sqlx::query("DELETE FROM ceremonies WHERE expires_at < $1").bind(now))
            .await
    }

    async fn insert_transaction(&mut self, transaction: &Transaction) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO transactions (tenant_id, id, user_id, identifier, data, challenge, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(transaction.tenant.0)
        .bind(transaction.id)
        .bind(transaction.user.0)
        .bind(&transaction.identifier)
        .bind(&transaction.data)
        .bind(&transaction.challenge)
        .bind(transaction.created_at)
        .bind(transaction.updated_at);
        self.execute(query).await.map(drop)
    }

    async fn insert_audit_event(&mut self, event: &AuditEvent) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO audit_events (tenant_id, id, kind, error, request_id, source_ip, user_agent, \
             actor_user_id, transaction_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(event.tenant.0)
        .bind(event.id)
        .bind(&event.kind)
        .bind(event.error.as_deref())
        .bind(&event.request_id)
        .bind(&event.source_ip)
        .bind(&event.user_agent)
        .bind(event.actor_user_id.as_deref())
        .bind(event.transaction_id.as_deref())
        .bind(event.created_at);
        self.execute(query).await.map(drop)
    }

    async fn delete_audit_events_before(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64> {
        // In batches, so that one pass holds its row locks only briefly.
        let query = sqlx::query(
            "DELETE FROM audit_events WHERE ctid = ANY(ARRAY(\
             SELECT ctid FROM audit_events WHERE created_at < $1 LIMIT $2))",
        )
        .bind(before)
        .bind(i64::from(limit));
        self.execute(query).await
    }

    async fn probe_write(&mut self) -> Result<()> {
        self.execute(sqlx::query("DELETE FROM ceremonies WHERE false"))
            .await
            .map(drop)
    }

    async fn insert_community(&mut self, community: &Community) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO communities (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&community.id)
        .bind(community.tenant.0)
        .bind(&community.name)
        .bind(community.created_at);
        self.execute(query).await.map(drop)
    }

    async fn insert_license(&mut self, license: &License) -> Result<()> {
        let (scope, community) = (license.scope.kind(), license.scope.community());
        let query = sqlx::query(
            "INSERT INTO licenses (tenant_id, id, scope, community_id, key_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(license.tenant.0)
        .bind(license.id)
        .bind(scope)
        .bind(community)
        .bind(license.key_hash.as_slice())
        .bind(license.created_at);
        self.execute(query).await.map(drop)
    }

    async fn delete_license(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM licenses WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute(query).await? > 0)
    }

    async fn upsert_vendor_metadata(
        &mut self,
        record: &AuthenticatorPolicy,
    ) -> Result<AuthenticatorPolicy> {
        // One statement, so concurrent upserts of the same model cannot both insert.
        let sql = format!(
            "INSERT INTO vendor_metadata (id, realm_id, aaguid, name, metadata, disabled, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT ON CONSTRAINT vendor_metadata_realm_aaguid_key DO UPDATE \
             SET name = EXCLUDED.name, metadata = EXCLUDED.metadata, disabled = EXCLUDED.disabled, \
             updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at \
             RETURNING {}",
            rows::VENDOR_METADATA
        );
        let query = sqlx::query(&sql)
            .bind(record.id)
            .bind(record.realm.map(|realm| realm.0))
            .bind(record.aaguid)
            .bind(&record.name)
            .bind(&record.metadata)
            .bind(record.disabled)
            .bind(&record.updated_by)
            .bind(record.updated_at);
        let row = query.fetch_one(&mut *self.tx).await.map_err(db)?;
        rows::vendor_metadata(&row)
    }

    async fn upsert_link(&mut self, link: &Link) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO links (realm_id, user_id, did, credential_id, linked_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT ON CONSTRAINT links_pkey DO UPDATE SET linked_at = EXCLUDED.linked_at",
        )
        .bind(link.realm.0)
        .bind(link.user.0)
        .bind(&link.did)
        .bind(&link.credential_id)
        .bind(link.linked_at);
        self.execute(query).await.map(drop)
    }

    async fn insert_service_secret(&mut self, secret: &ServiceSecret) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO service_secrets (name, sealed, public, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&secret.name)
        .bind(&secret.sealed)
        .bind(&secret.public)
        .bind(secret.created_at);
        self.execute(query).await.map(drop)
    }

    /// The sweep skips expired rows another claim is already deleting, so claims never wait on
    /// each other's transactions for housekeeping. Whether this nonce is fresh does not depend on
    /// the sweep: the insert takes over an expired row of the same nonce in place, and a claim
    /// racing for the same nonce waits on its row and then sees the other's outcome. Nothing is
    /// left failed, so the transaction stays usable when the nonce was seen.
    async fn claim_nonce(
        &mut self,
        scope: &str,
        nonce: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        let sweep = sqlx::query(
            "DELETE FROM nonces WHERE (scope, nonce) IN \
             (SELECT scope, nonce FROM nonces WHERE expires_at < $1 FOR UPDATE SKIP LOCKED)",
        )
        .bind(now);
        self.execute(sweep).await?;
        let claim = sqlx::query(
            "INSERT INTO nonces (scope, nonce, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT ON CONSTRAINT nonces_pkey DO UPDATE SET expires_at = EXCLUDED.expires_at \
             WHERE nonces.expires_at < $4",
        )
        .bind(scope)
        .bind(nonce)
        .bind(expires_at)
        .bind(now);
        Ok(self.execute(claim).await? > 0)
    }

    async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(db)
    }
}
