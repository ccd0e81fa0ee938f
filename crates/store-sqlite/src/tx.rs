//! Transactions: every query of the [`ReadTx`] and [`WriteTx`] contract.

use std::marker::PhantomData;

use latchkey_engine::model::{
    ApiKey, AuditEvent, AuditQuery, AuthenticatorPolicy, Ceremony, Community, Credential, License,
    Link, ServiceSecret, SigningKey, Tenant, TenantId, TenantKind, Transaction, User, UserId,
};
use latchkey_engine::{Entity, Error, Page, Paged, ReadTx, Result, WriteTx};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{corrupt, db};
use crate::rows::{
    self, api_key_columns, audit_event_columns, ceremony_columns, credential_columns,
    license_columns, link_columns, micros, select_communities, select_tenants,
    service_secret_columns, signing_key_columns, transaction_columns, user_columns,
    vendor_metadata_columns,
};

/// Marks a transaction begun by [`latchkey_engine::Store::read`].
#[derive(Debug)]
pub enum ReadOnly {}

/// Marks a transaction begun by [`latchkey_engine::Store::write`] (with `BEGIN IMMEDIATE`).
#[derive(Debug)]
pub enum ReadWrite {}

/// An open transaction; dropping it without [`WriteTx::commit`] rolls it back.
#[derive(Debug)]
pub struct SqliteTx<M> {
    tx: sqlx::Transaction<'static, Sqlite>,
    // `fn() -> M` keeps the marker from affecting `Send`/`Sync`.
    mode: PhantomData<fn() -> M>,
}

type Decoder<T> = fn(&SqliteRow) -> Result<T>;
type Statement<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

impl<M> SqliteTx<M> {
    pub(crate) fn new(tx: sqlx::Transaction<'static, Sqlite>) -> Self {
        Self {
            tx,
            mode: PhantomData,
        }
    }

    async fn optional<T>(
        &mut self,
        what: &'static str,
        query: Statement<'_>,
        decode: Decoder<T>,
    ) -> Result<Option<T>> {
        query
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db(what))?
            .as_ref()
            .map(decode)
            .transpose()
    }

    async fn all<T>(
        &mut self,
        what: &'static str,
        query: Statement<'_>,
        decode: Decoder<T>,
    ) -> Result<Vec<T>> {
        query
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db(what))?
            .iter()
            .map(decode)
            .collect()
    }

    /// Runs a statement; how many rows it changed.
    async fn execute(&mut self, what: &'static str, query: Statement<'_>) -> Result<u64> {
        Ok(query
            .execute(&mut *self.tx)
            .await
            .map_err(db(what))?
            .rows_affected())
    }

    /// One page of `SELECT <columns> FROM <from> WHERE <filter>` and the count of all its rows,
    /// both in this transaction, so they agree.
    async fn paged<T>(
        &mut self,
        what: &'static str,
        columns: &str,
        from_where: impl Fn(&mut QueryBuilder<'_, Sqlite>),
        order: &str,
        page: Page,
        decode: Decoder<T>,
    ) -> Result<Paged<T>> {
        let mut count = QueryBuilder::new("SELECT count(*)");
        from_where(&mut count);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db(what))?;

        let mut select = QueryBuilder::new("SELECT ");
        select.push(columns);
        from_where(&mut select);
        select
            .push(" ORDER BY ")
            .push(order)
            .push(" LIMIT ")
            .push_bind(i64::from(page.per_page))
            .push(" OFFSET ")
            // u32 × u32 can pass i64::MAX; any offset that large is an empty page anyway.
            .push_bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
        let rows = select
            .build()
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db(what))?;
        Ok(Paged {
            items: rows.iter().map(decode).collect::<Result<_>>()?,
            total: u64::try_from(total).map_err(|_| corrupt("count"))?,
        })
    }
}

/// `created_at` in the page's direction, then the id so that equal times page stably.
fn by_creation(page: Page) -> &'static str {
    if page.descending {
        "created_at DESC, id DESC"
    } else {
        "created_at ASC, id ASC"
    }
}

impl<M> ReadTx for SqliteTx<M> {
    async fn tenant(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let query = sqlx::query(concat!(select_tenants!(), " WHERE t.id = ?"));
        self.optional("tenant", query.bind(id.0), rows::tenant)
            .await
    }

    async fn organisation(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        let query = sqlx::query(concat!(select_tenants!(), " WHERE t.id = ? AND t.kind = ?"));
        self.optional(
            "tenant",
            query.bind(id.0).bind(TenantKind::ORGANISATION),
            rows::tenant,
        )
        .await
    }

    async fn organisations(&mut self) -> Result<Vec<Tenant>> {
        let query = sqlx::query(concat!(
            select_tenants!(),
            " WHERE t.kind = ? ORDER BY t.created_at, t.id"
        ));
        self.all("tenant", query.bind(TenantKind::ORGANISATION), rows::tenant)
            .await
    }

    async fn api_key_by_hash(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<ApiKey>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            api_key_columns!(),
            " FROM api_keys WHERE tenant_id = ? AND secret_hash = ?"
        ));
        self.optional(
            "api key",
            query.bind(tenant.0).bind(hash.as_slice()),
            rows::api_key,
        )
        .await
    }

    async fn api_keys(&mut self, tenant: TenantId) -> Result<Vec<ApiKey>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            api_key_columns!(),
            " FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id"
        ));
        self.all("api key", query.bind(tenant.0), rows::api_key)
            .await
    }

    async fn signing_keys(&mut self, tenant: TenantId) -> Result<Vec<SigningKey>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            signing_key_columns!(),
            " FROM signing_keys WHERE tenant_id = ? ORDER BY created_at, id"
        ));
        self.all("signing key", query.bind(tenant.0), rows::signing_key)
            .await
    }

    async fn user(&mut self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE tenant_id = ? AND id = ?"
        ));
        self.optional("user", query.bind(tenant.0).bind(id.0), rows::user)
            .await
    }

    async fn user_by_external_id(
        &mut self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<User>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE tenant_id = ? AND external_id = ?"
        ));
        self.optional("user", query.bind(tenant.0).bind(external_id), rows::user)
            .await
    }

    async fn users(&mut self, tenant: TenantId, page: Page) -> Result<Paged<User>> {
        let from_where = |q: &mut QueryBuilder<'_, Sqlite>| {
            q.push(" FROM users WHERE tenant_id = ").push_bind(tenant.0);
        };
        self.paged(
            "user",
            user_columns!(),
            from_where,
            by_creation(page),
            page,
            rows::user,
        )
        .await
    }

    async fn credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<Option<Credential>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            credential_columns!(),
            " FROM credentials WHERE tenant_id = ? AND id = ?"
        ));
        self.optional(
            "credential",
            query.bind(tenant.0).bind(id),
            rows::credential,
        )
        .await
    }

    async fn credentials(
        &mut self,
        tenant: TenantId,
        user: Option<UserId>,
        page: Page,
    ) -> Result<Paged<Credential>> {
        let from_where = |q: &mut QueryBuilder<'_, Sqlite>| {
            q.push(" FROM credentials WHERE tenant_id = ")
                .push_bind(tenant.0);
            if let Some(user) = user {
                q.push(" AND user_id = ").push_bind(user.0);
            }
        };
        self.paged(
            "credential",
            credential_columns!(),
            from_where,
            by_creation(page),
            page,
            rows::credential,
        )
        .await
    }

    async fn transaction_by_challenge(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Transaction>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            transaction_columns!(),
            " FROM transactions WHERE tenant_id = ? AND challenge = ? LIMIT 1"
        ));
        self.optional(
            "transaction",
            query.bind(tenant.0).bind(challenge),
            rows::transaction,
        )
        .await
    }

    async fn transactions(&mut self, tenant: TenantId, user: UserId) -> Result<Vec<Transaction>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            transaction_columns!(),
            " FROM transactions WHERE tenant_id = ? AND user_id = ? ORDER BY created_at, id"
        ));
        self.all(
            "transaction",
            query.bind(tenant.0).bind(user.0),
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
        let start = query.start_time.map(micros).transpose()?;
        let end = query.end_time.map(micros).transpose()?;
        // instr() rather than LIKE: it is case-sensitive and has no wildcards, as the contract
        // asks; a NULL actor matches no actor substring.
        let from_where = |q: &mut QueryBuilder<'_, Sqlite>| {
            q.push(" FROM audit_events WHERE tenant_id = ")
                .push_bind(tenant.0);
            if let Some(start) = start {
                q.push(" AND created_at > ").push_bind(start);
            }
            if let Some(end) = end {
                q.push(" AND created_at < ").push_bind(end);
            }
            if !query.kinds.is_empty() {
                q.push(" AND kind IN (");
                let mut kinds = q.separated(", ");
                for kind in &query.kinds {
                    kinds.push_bind(kind.clone());
                }
                q.push(")");
            }
            if let Some(actor) = &query.actor_user_id {
                q.push(" AND instr(actor_user_id, ")
                    .push_bind(actor.clone())
                    .push(") > 0");
            }
            if let Some(ip) = &query.source_ip {
                q.push(" AND instr(source_ip, ")
                    .push_bind(ip.clone())
                    .push(") > 0");
            }
            if let Some(text) = &query.text {
                q.push(" AND (instr(actor_user_id, ")
                    .push_bind(text.clone());
                q.push(") > 0 OR instr(source_ip, ")
                    .push_bind(text.clone())
                    .push(") > 0)");
            }
        };
        let newest_first = "created_at DESC, id DESC";
        self.paged(
            "audit event",
            audit_event_columns!(),
            from_where,
            newest_first,
            page,
            rows::audit_event,
        )
        .await
    }

    async fn community(&mut self, id: &str) -> Result<Option<Community>> {
        let query = sqlx::query(concat!(select_communities!(), " WHERE c.id = ?"));
        self.optional("community", query.bind(id), rows::community)
            .await
    }

    async fn communities(&mut self, tenant: TenantId) -> Result<Vec<Community>> {
        let query = sqlx::query(concat!(
            select_communities!(),
            " WHERE c.tenant_id = ? ORDER BY c.created_at, c.id"
        ));
        self.all("community", query.bind(tenant.0), rows::community)
            .await
    }

    async fn license_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<License>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            license_columns!(),
            " FROM licenses WHERE key_hash = ?"
        ));
        self.optional("license", query.bind(hash.as_slice()), rows::license)
            .await
    }

    async fn licenses(&mut self, tenant: TenantId) -> Result<Vec<License>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            license_columns!(),
            " FROM licenses WHERE tenant_id = ? ORDER BY created_at, id"
        ));
        self.all("license", query.bind(tenant.0), rows::license)
            .await
    }

    async fn vendor_metadata(
        &mut self,
        realm: Option<TenantId>,
        aaguids: &[Uuid],
    ) -> Result<Vec<AuthenticatorPolicy>> {
        // The unique index's own expression, so that it serves the global records (NULL realm)
        // as well as a realm's.
        let mut query = QueryBuilder::new(concat!(
            "SELECT ",
            vendor_metadata_columns!(),
            " FROM vendor_metadata WHERE coalesce(realm_id, x'') = coalesce("
        ));
        query.push_bind(realm.map(|realm| realm.0)).push(", x'')");
        if !aaguids.is_empty() {
            query.push(" AND aaguid IN (");
            let mut list = query.separated(", ");
            for aaguid in aaguids {
                list.push_bind(*aaguid);
            }
            query.push(")");
        }
        query.push(" ORDER BY aaguid");
        self.all("vendor metadata", query.build(), rows::vendor_metadata)
            .await
    }

    async fn links(
        &mut self,
        realm: TenantId,
        user: Option<UserId>,
        did: Option<&str>,
    ) -> Result<Vec<Link>> {
        let mut query = QueryBuilder::new(concat!(
            "SELECT ",
            link_columns!(),
            " FROM links WHERE realm_id = "
        ));
        query.push_bind(realm.0);
        if let Some(user) = user {
            query.push(" AND user_id = ").push_bind(user.0);
        }
        if let Some(did) = did {
            query.push(" AND did = ").push_bind(did.to_owned());
        }
        query.push(" ORDER BY linked_at, user_id, did, credential_id");
        self.all("link", query.build(), rows::link).await
    }

    async fn service_secret(&mut self, name: &str) -> Result<Option<ServiceSecret>> {
        let query = sqlx::query(concat!(
            "SELECT ",
            service_secret_columns!(),
            " FROM service_secrets WHERE name = ?"
        ));
        self.optional("service secret", query.bind(name), rows::service_secret)
            .await
    }
}

impl WriteTx for SqliteTx<ReadWrite> {
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let config = rows::config_json(&tenant.config)?;
        let created_at = micros(tenant.created_at)?;
        let query = match &tenant.kind {
            TenantKind::Organisation => sqlx::query(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 VALUES (?, ?, ?, NULL, ?, ?)",
            )
            .bind(tenant.id.0)
            .bind(&tenant.display_name)
            .bind(TenantKind::ORGANISATION)
            .bind(config)
            .bind(created_at),
            // Made from the community's row: a realm of a community that does not exist, or
            // exists in another organisation, inserts nothing.
            TenantKind::Realm {
                organisation,
                community,
            } => sqlx::query(
                "INSERT INTO tenants (id, display_name, kind, community_id, config, created_at) \
                 SELECT ?, ?, ?, id, ?, ? FROM communities WHERE id = ? AND tenant_id = ?",
            )
            .bind(tenant.id.0)
            .bind(&tenant.display_name)
            .bind(TenantKind::REALM)
            .bind(config)
            .bind(created_at)
            .bind(community.as_str())
            .bind(organisation.0),
        };
        match self.execute("tenant", query).await? {
            0 => Err(Error::NotFound(Entity::Community)),
            _ => Ok(()),
        }
    }

    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        let query = sqlx::query("UPDATE tenants SET display_name = ?, config = ? WHERE id = ?")
            .bind(&tenant.display_name)
            .bind(rows::config_json(&tenant.config)?)
            .bind(tenant.id.0);
        if self.execute("tenant", query).await? > 0 {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::Tenant))
        }
    }

    async fn delete_tenant(&mut self, id: TenantId) -> Result<bool> {
        // A realm goes with its community (the community's deletion cascades to it).
        let community = sqlx::query(
            "DELETE FROM communities WHERE id = (SELECT community_id FROM tenants WHERE id = ?)",
        );
        let communities = self.execute("community", community.bind(id.0)).await?;
        let tenant = sqlx::query("DELETE FROM tenants WHERE id = ?").bind(id.0);
        Ok(communities + self.execute("tenant", tenant).await? > 0)
    }

    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<()> {
        let query = sqlx::query(concat!(
            "INSERT INTO api_keys (",
            api_key_columns!(),
            ") VALUES (?, ?, ?, ?, ?)"
        ))
        .bind(key.tenant.0)
        .bind(key.id)
        .bind(&key.name)
        .bind(key.secret_hash.as_slice())
        .bind(micros(key.created_at)?);
        self.execute("api key", query).await?;
        Ok(())
    }

    async fn delete_api_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM api_keys WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute("api key", query).await? > 0)
    }

    async fn insert_signing_key(&mut self, key: &SigningKey) -> Result<()> {
        let query = sqlx::query(concat!(
            "INSERT INTO signing_keys (",
            signing_key_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?)"
        ))
        .bind(key.tenant.0)
        .bind(key.id)
        .bind(key.algorithm.as_str())
        .bind(&key.encrypted_private_key)
        .bind(&key.public_key)
        .bind(micros(key.created_at)?);
        self.execute("signing key", query).await?;
        Ok(())
    }

    async fn delete_signing_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM signing_keys WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute("signing key", query).await? > 0)
    }

    async fn upsert_user(&mut self, user: &User) -> Result<User> {
        let query = sqlx::query(concat!(
            "INSERT INTO users (",
            user_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, external_id) DO UPDATE SET \
             name = excluded.name, display_name = excluded.display_name, icon = excluded.icon \
             RETURNING ",
            user_columns!()
        ))
        .bind(user.tenant.0)
        .bind(user.id.0)
        .bind(&user.external_id)
        .bind(&user.name)
        .bind(&user.display_name)
        .bind(&user.icon)
        .bind(micros(user.created_at)?);
        let row = query.fetch_one(&mut *self.tx).await.map_err(db("user"))?;
        rows::user(&row)
    }

    async fn delete_user(&mut self, tenant: TenantId, id: UserId) -> Result<bool> {
        let query = sqlx::query("DELETE FROM users WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0)
            .bind(id.0);
        Ok(self.execute("user", query).await? > 0)
    }

    async fn insert_credential(&mut self, credential: &Credential) -> Result<()> {
        let query = sqlx::query(concat!(
            "INSERT INTO credentials (",
            credential_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(credential.tenant.0)
        .bind(&credential.id)
        .bind(credential.user.0)
        .bind(&credential.name)
        .bind(&credential.public_key)
        .bind(&credential.attestation_format)
        .bind(credential.aaguid.as_slice())
        .bind(i64::from(credential.sign_count))
        .bind(rows::transports_json(&credential.transports)?)
        .bind(credential.backup_eligible)
        .bind(credential.backup_state)
        .bind(credential.is_mfa)
        .bind(micros(credential.created_at)?)
        .bind(credential.last_used_at.map(micros).transpose()?);
        self.execute("credential", query).await?;
        Ok(())
    }

    async fn rename_credential(&mut self, tenant: TenantId, id: &[u8], name: &str) -> Result<bool> {
        let query = sqlx::query("UPDATE credentials SET name = ? WHERE tenant_id = ? AND id = ?")
            .bind(name)
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute("credential", query).await? > 0)
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
            "UPDATE credentials SET sign_count = max(sign_count, ?), backup_state = ?, last_used_at = ? \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(i64::from(sign_count))
        .bind(backup_state)
        .bind(micros(at)?)
        .bind(tenant.0)
        .bind(id);
        Ok(self.execute("credential", query).await? > 0)
    }

    async fn delete_credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<bool> {
        let query = sqlx::query("DELETE FROM credentials WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute("credential", query).await? > 0)
    }

    async fn insert_ceremony(&mut self, ceremony: &Ceremony) -> Result<()> {
        let query = sqlx::query(concat!(
            "INSERT INTO ceremonies (",
            ceremony_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(ceremony.tenant.0)
        .bind(ceremony.id)
        .bind(&ceremony.challenge)
        .bind(ceremony.operation.as_str())
        .bind(ceremony.user.map(|user| user.0))
        .bind(ceremony.user_verification.as_str())
        .bind(rows::allowed_credentials_json(
            &ceremony.allowed_credentials,
        )?)
        .bind(ceremony.transaction)
        .bind(micros(ceremony.expires_at)?);
        self.execute("ceremony", query).await?;
        Ok(())
    }

    /// One statement, so the row is gone the moment it is read; and the write transaction began
    /// with `BEGIN IMMEDIATE`, so a concurrent finish waits and then finds nothing.
    async fn take_ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        let query = sqlx::query(concat!(
            "DELETE FROM ceremonies WHERE tenant_id = ? AND challenge = ? RETURNING ",
            ceremony_columns!()
        ));
        self.optional(
            "ceremony",
            query.bind(tenant.0).bind(challenge),
            rows::ceremony,
        )
        .await
    }

    async fn delete_expired_ceremonies(&mut self, now: OffsetDateTime) -> Result<u64> {
        let query = sqlx::query("DELETE FROM ceremonies WHERE expires_at < ?").bind(micros(now)?);
        self.execute("ceremony", query).await
    }

    async fn insert_transaction(&mut self, transaction: &Transaction) -> Result<()> {
        let query = sqlx::query(concat!(
            "INSERT INTO transactions (",
            transaction_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(transaction.tenant.0)
        .bind(transaction.id)
        .bind(transaction.user.0)
        .bind(&transaction.identifier)
        .bind(&transaction.data)
        .bind(&transaction.challenge)
        .bind(micros(transaction.created_at)?)
        .bind(micros(transaction.updated_at)?);
        self.execute("transaction", query).await?;
        Ok(())
    }

    async fn insert_audit_event(&mut self, event: &AuditEvent) -> Result<()> {
        let query = sqlx::query(concat!(
            "INSERT INTO audit_events (",
            audit_event_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(event.tenant.0)
        .bind(event.id)
        .bind(&event.kind)
        .bind(&event.error)
        .bind(&event.request_id)
        .bind(&event.source_ip)
        .bind(&event.user_agent)
        .bind(&event.actor_user_id)
        .bind(&event.transaction_id)
        .bind(micros(event.created_at)?);
        self.execute("audit event", query).await?;
        Ok(())
    }

    async fn delete_audit_events_before(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64> {
        // In batches, so that one pass holds the write lock only briefly.
        let query = sqlx::query(
            "DELETE FROM audit_events WHERE rowid IN \
             (SELECT rowid FROM audit_events WHERE created_at < ? LIMIT ?)",
        )
        .bind(micros(before)?)
        .bind(limit);
        self.execute("audit event", query).await
    }

    async fn probe_write(&mut self) -> Result<()> {
        let query = sqlx::query("DELETE FROM ceremonies WHERE 0");
        self.execute("write probe", query).await.map(drop)
    }

    async fn insert_community(&mut self, community: &Community) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO communities (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(&community.id)
        .bind(community.tenant.0)
        .bind(&community.name)
        .bind(micros(community.created_at)?);
        self.execute("community", query).await?;
        Ok(())
    }

    async fn insert_license(&mut self, license: &License) -> Result<()> {
        let (scope, community) = (license.scope.kind(), license.scope.community());
        let query = sqlx::query(concat!(
            "INSERT INTO licenses (",
            license_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?)"
        ))
        .bind(license.tenant.0)
        .bind(license.id)
        .bind(scope)
        .bind(community)
        .bind(license.key_hash.as_slice())
        .bind(micros(license.created_at)?);
        self.execute("license", query).await?;
        Ok(())
    }

    async fn delete_license(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        let query = sqlx::query("DELETE FROM licenses WHERE tenant_id = ? AND id = ?")
            .bind(tenant.0)
            .bind(id);
        Ok(self.execute("license", query).await? > 0)
    }

    async fn upsert_vendor_metadata(
        &mut self,
        record: &AuthenticatorPolicy,
    ) -> Result<AuthenticatorPolicy> {
        let query = sqlx::query(concat!(
            "INSERT INTO vendor_metadata (",
            vendor_metadata_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (coalesce(realm_id, x''), aaguid) DO UPDATE SET \
             name = excluded.name, metadata = excluded.metadata, disabled = excluded.disabled, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at RETURNING ",
            vendor_metadata_columns!()
        ))
        .bind(record.id)
        .bind(record.realm.map(|realm| realm.0))
        .bind(record.aaguid)
        .bind(&record.name)
        .bind(&record.metadata)
        .bind(record.disabled)
        .bind(&record.updated_by)
        .bind(micros(record.updated_at)?);
        let row = query
            .fetch_one(&mut *self.tx)
            .await
            .map_err(db("vendor metadata"))?;
        rows::vendor_metadata(&row)
    }

    async fn upsert_link(&mut self, link: &Link) -> Result<()> {
        let query = sqlx::query(concat!(
            "INSERT INTO links (",
            link_columns!(),
            ") VALUES (?, ?, ?, ?, ?) ON CONFLICT (realm_id, user_id, did, credential_id) \
             DO UPDATE SET linked_at = excluded.linked_at"
        ))
        .bind(link.realm.0)
        .bind(link.user.0)
        .bind(&link.did)
        .bind(&link.credential_id)
        .bind(micros(link.linked_at)?);
        self.execute("link", query).await?;
        Ok(())
    }

    async fn insert_service_secret(&mut self, secret: &ServiceSecret) -> Result<()> {
        let query = sqlx::query(concat!(
            "INSERT INTO service_secrets (",
            service_secret_columns!(),
            ") VALUES (?, ?, ?, ?)"
        ))
        .bind(&secret.name)
        .bind(&secret.sealed)
        .bind(&secret.public)
        .bind(micros(secret.created_at)?);
        self.execute("service secret", query).await?;
        Ok(())
    }

    /// The write lock taken by `BEGIN IMMEDIATE` makes the sweep and the insert one step for
    /// every other writer.
    async fn claim_nonce(
        &mut self,
        scope: &str,
        nonce: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        let sweep = sqlx::query("DELETE FROM nonces WHERE expires_at < ?").bind(micros(now)?);
        self.execute("nonce", sweep).await?;
        let claim = sqlx::query(
            "INSERT INTO nonces (scope, nonce, expires_at) VALUES (?, ?, ?) \
             ON CONFLICT (scope, nonce) DO NOTHING",
        )
        .bind(scope)
        .bind(nonce)
        .bind(micros(expires_at)?);
        Ok(self.execute("nonce", claim).await? > 0)
    }

    async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(db("commit"))
    }
}
