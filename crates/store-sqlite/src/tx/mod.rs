//! Transactions: the transaction type and the [`ReadTx`] and [`WriteTx`] contract. The queries
//! live in one module per area, the same modules in both stores; the contract's methods here call
//! their inherent namesakes there (an inherent method is found before a trait's).

mod accounts;
mod audit;
mod ceremonies;
mod credentials;
mod keys;
mod kosmos;
mod tenants;
mod third_party;
mod users;
mod webhooks;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use latchkey_engine::model::webhooks::{Webhook, WebhookDelivery};
use latchkey_engine::model::{
    ApiKey, AuditEvent, AuditQuery, AuthenticatorPolicy, Ceremony, Community, Credential, Email,
    Identity, License, Link, OneTimeToken, Passcode, Password, ServiceSecret, Session, SigningKey,
    Tenant, TenantId, Transaction, User, UserId,
};
use latchkey_engine::{LoginRecord, Page, Paged, ReadTx, Result, WriteTx};
use rusqlite::types::Value;
use rusqlite::{Connection, Params, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::connections::{Handle, Location, closed, run};
use crate::error::{corrupt, db};

/// Marks a transaction begun by [`latchkey_engine::Store::read`].
#[derive(Debug)]
pub enum ReadOnly {}

/// Marks a transaction begun by [`latchkey_engine::Store::write`] (with `BEGIN IMMEDIATE`).
#[derive(Debug)]
pub enum ReadWrite {}

/// An open transaction; dropping it without [`WriteTx::commit`] rolls it back.
///
/// Its statements run on the calling task, not on a thread of their own: SQLite answers from
/// its page cache in microseconds, less than a hand-over to another thread and back costs, and
/// under load those hand-overs (one per statement) took more of the server's core than the
/// statements did. The one wait that can be long, another process's write lock, is waited for
/// off the runtime (see `SqliteStore::write`).
pub struct SqliteTx<M> {
    handle: Handle,
    location: Arc<Location>,
    /// Whether the transaction still has to be ended; false after a successful commit.
    open: bool,
    // `fn() -> M` keeps the marker from affecting `Send`/`Sync`.
    mode: PhantomData<fn() -> M>,
}

impl<M> fmt::Debug for SqliteTx<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteTx").finish_non_exhaustive()
    }
}

type Decoder<T> = fn(&Row<'_>) -> Result<T>;

/// SQL put together from pieces, with the values its placeholders take, in order.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            values: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// A placeholder for `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.text.push('?');
        self.values.push(value.into());
        self
    }

    /// Placeholders for each of `values`, separated by commas.
    pub(crate) fn bind_list<V: Into<Value>>(
        &mut self,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self
    }
}

/// A UUID as the schema stores it: 16 bytes.
pub(crate) fn uuid(id: Uuid) -> Value {
    Value::Blob(id.as_bytes().to_vec())
}

impl<M> SqliteTx<M> {
    /// The transaction `handle`'s connection has begun.
    pub(crate) fn new(handle: Handle, location: Arc<Location>) -> Self {
        Self {
            handle,
            location,
            open: true,
            mode: PhantomData,
        }
    }

    fn connection(&self) -> Result<&Connection> {
        self.handle.connection().ok_or_else(closed)
    }

    fn optional<T>(&self, sql: &str, params: impl Params, decode: Decoder<T>) -> Result<Option<T>> {
        let mut statement = self.connection()?.prepare_cached(sql).map_err(db)?;
        let mut rows = statement.query(params).map_err(db)?;
        rows.next().map_err(db)?.map(decode).transpose()
    }

    fn all<T>(&self, sql: &str, params: impl Params, decode: Decoder<T>) -> Result<Vec<T>> {
        let mut statement = self.connection()?.prepare_cached(sql).map_err(db)?;
        let mut rows = statement.query(params).map_err(db)?;
        let mut all = Vec::new();
        while let Some(row) = rows.next().map_err(db)? {
            all.push(decode(row)?);
        }
        Ok(all)
    }

    /// Every row of SQL put together from pieces.
    fn all_of<T>(&self, sql: &Sql, decode: Decoder<T>) -> Result<Vec<T>> {
        self.all(&sql.text, rusqlite::params_from_iter(&sql.values), decode)
    }

    /// Runs a statement; how many rows it changed.
    fn execute(&self, sql: &str, params: impl Params) -> Result<u64> {
        let mut statement = self.connection()?.prepare_cached(sql).map_err(db)?;
        let changed = statement.execute(params).map_err(db)?;
        u64::try_from(changed).map_err(|_| corrupt("count"))
    }

    /// One page of `SELECT <columns> <from_where>` and the count of all its rows, both in this
    /// transaction, so they agree.
    fn paged<T>(
        &self,
        columns: &str,
        from_where: &Sql,
        order: &str,
        page: Page,
        decode: Decoder<T>,
    ) -> Result<Paged<T>> {
        let count = format!("SELECT count(*){}", from_where.text);
        let total: i64 = self
            .connection()?
            .prepare_cached(&count)
            .and_then(|mut statement| {
                statement.query_row(rusqlite::params_from_iter(&from_where.values), |row| {
                    row.get(0)
                })
            })
            .map_err(db)?;

        let select = format!(
            "SELECT {columns}{} ORDER BY {order} LIMIT ? OFFSET ?",
            from_where.text
        );
        // u32 × u32 can pass i64::MAX; any offset that large is an empty page anyway.
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let values = from_where.values.iter().cloned().chain([
            Value::Integer(i64::from(page.per_page)),
            Value::Integer(offset),
        ]);
        let items = self.all(&select, rusqlite::params_from_iter(values), decode)?;
        Ok(Paged {
            items,
            total: u64::try_from(total).map_err(|_| corrupt("count"))?,
        })
    }
}

impl<M> Drop for SqliteTx<M> {
    /// Rolls back what was not committed. A connection that is still inside a transaction
    /// afterwards is not used again.
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let Some(connection) = self.handle.connection() else {
            return;
        };
        if !connection.is_autocommit() {
            let _ = run(connection, "ROLLBACK");
        }
        if !connection.is_autocommit() {
            self.handle.reset(&self.location);
        }
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
        self.tenant(id)
    }

    async fn organisation(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        self.organisation(id)
    }

    async fn organisations(&mut self) -> Result<Vec<Tenant>> {
        self.organisations()
    }

    async fn api_key_by_hash(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<ApiKey>> {
        self.api_key_by_hash(tenant, hash)
    }

    async fn api_keys(&mut self, tenant: TenantId) -> Result<Vec<ApiKey>> {
        self.api_keys(tenant)
    }

    async fn signing_keys(&mut self, tenant: TenantId) -> Result<Vec<SigningKey>> {
        self.signing_keys(tenant)
    }

    async fn user(&mut self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        self.user(tenant, id)
    }

    async fn user_by_external_id(
        &mut self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<User>> {
        self.user_by_external_id(tenant, external_id)
    }

    async fn users(&mut self, tenant: TenantId, page: Page) -> Result<Paged<User>> {
        self.users(tenant, page)
    }

    async fn credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<Option<Credential>> {
        self.credential(tenant, id)
    }

    async fn credentials(
        &mut self,
        tenant: TenantId,
        user: Option<UserId>,
        page: Page,
    ) -> Result<Paged<Credential>> {
        self.credentials(tenant, user, page)
    }

    async fn ceremony(&mut self, tenant: TenantId, challenge: &[u8]) -> Result<Option<Ceremony>> {
        self.ceremony(tenant, challenge)
    }

    async fn transaction_by_challenge(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Transaction>> {
        self.transaction_by_challenge(tenant, challenge)
    }

    async fn transactions(&mut self, tenant: TenantId, user: UserId) -> Result<Vec<Transaction>> {
        self.transactions(tenant, user)
    }

    async fn audit_events(
        &mut self,
        tenant: TenantId,
        query: &AuditQuery,
        page: Page,
    ) -> Result<Paged<AuditEvent>> {
        self.audit_events(tenant, query, page)
    }

    async fn community(&mut self, id: &str) -> Result<Option<Community>> {
        self.community(id)
    }

    async fn communities(&mut self, tenant: TenantId) -> Result<Vec<Community>> {
        self.communities(tenant)
    }

    async fn license_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<License>> {
        self.license_by_hash(hash)
    }

    async fn licenses(&mut self, tenant: TenantId) -> Result<Vec<License>> {
        self.licenses(tenant)
    }

    async fn vendor_metadata(
        &mut self,
        realm: Option<TenantId>,
        aaguids: &[Uuid],
    ) -> Result<Vec<AuthenticatorPolicy>> {
        self.vendor_metadata(realm, aaguids)
    }

    async fn links(
        &mut self,
        realm: TenantId,
        user: Option<UserId>,
        did: Option<&str>,
    ) -> Result<Vec<Link>> {
        self.links(realm, user, did)
    }

    async fn service_secret(&mut self, name: &str) -> Result<Option<ServiceSecret>> {
        self.service_secret(name)
    }

    async fn email(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Email>> {
        self.email(tenant, id)
    }

    async fn email_by_address(&mut self, tenant: TenantId, address: &str) -> Result<Option<Email>> {
        self.email_by_address(tenant, address)
    }

    async fn emails(&mut self, tenant: TenantId, user: UserId) -> Result<Vec<Email>> {
        self.emails(tenant, user)
    }

    async fn passcode(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Passcode>> {
        self.passcode(tenant, id)
    }

    async fn password(&mut self, tenant: TenantId, user: UserId) -> Result<Option<Password>> {
        self.password(tenant, user)
    }

    async fn session(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Session>> {
        self.session(tenant, id)
    }

    async fn identity(
        &mut self,
        tenant: TenantId,
        provider: &str,
        subject: &str,
    ) -> Result<Option<Identity>> {
        self.identity(tenant, provider, subject)
    }

    async fn webhooks(&mut self, tenant: TenantId) -> Result<Vec<Webhook>> {
        self.webhooks(tenant)
    }

    async fn webhook(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Webhook>> {
        self.webhook(tenant, id)
    }
}

impl WriteTx for SqliteTx<ReadWrite> {
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        self.insert_tenant(tenant)
    }

    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        self.update_tenant(tenant)
    }

    async fn delete_tenant(&mut self, id: TenantId) -> Result<bool> {
        self.delete_tenant(id)
    }

    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<()> {
        self.insert_api_key(key)
    }

    async fn delete_api_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_api_key(tenant, id)
    }

    async fn insert_signing_key(&mut self, key: &SigningKey) -> Result<()> {
        self.insert_signing_key(key)
    }

    async fn delete_signing_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_signing_key(tenant, id)
    }

    async fn upsert_user(&mut self, user: &User) -> Result<User> {
        self.upsert_user(user)
    }

    async fn delete_user(&mut self, tenant: TenantId, id: UserId) -> Result<bool> {
        self.delete_user(tenant, id)
    }

    async fn insert_credential(&mut self, credential: &Credential) -> Result<()> {
        self.insert_credential(credential)
    }

    async fn rename_credential(&mut self, tenant: TenantId, id: &[u8], name: &str) -> Result<bool> {
        self.rename_credential(tenant, id, name)
    }

    async fn record_login(
        &mut self,
        tenant: TenantId,
        id: &[u8],
        sign_count: u32,
        backup_state: bool,
        at: OffsetDateTime,
    ) -> Result<LoginRecord> {
        self.record_login(tenant, id, sign_count, backup_state, at)
    }

    async fn delete_credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<bool> {
        self.delete_credential(tenant, id)
    }

    async fn insert_ceremony(&mut self, ceremony: &Ceremony) -> Result<()> {
        self.insert_ceremony(ceremony)
    }

    async fn take_ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        self.take_ceremony(tenant, challenge)
    }

    async fn delete_expired_ceremonies(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.delete_expired_ceremonies(now)
    }

    async fn insert_transaction(&mut self, transaction: &Transaction) -> Result<()> {
        self.insert_transaction(transaction)
    }

    async fn insert_audit_event(&mut self, event: &AuditEvent) -> Result<()> {
        self.insert_audit_event(event)
    }

    async fn delete_audit_events_before(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64> {
        self.delete_audit_events_before(before, limit)
    }

    async fn probe_write(&mut self) -> Result<()> {
        self.execute("DELETE FROM ceremonies WHERE 0", []).map(drop)
    }

    async fn insert_community(&mut self, community: &Community) -> Result<()> {
        self.insert_community(community)
    }

    async fn insert_license(&mut self, license: &License) -> Result<()> {
        self.insert_license(license)
    }

    async fn delete_license(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_license(tenant, id)
    }

    async fn upsert_vendor_metadata(
        &mut self,
        record: &AuthenticatorPolicy,
    ) -> Result<AuthenticatorPolicy> {
        self.upsert_vendor_metadata(record)
    }

    async fn delete_vendor_metadata(&mut self, realm: TenantId, aaguid: Uuid) -> Result<bool> {
        self.delete_vendor_metadata(realm, aaguid)
    }

    async fn upsert_link(&mut self, link: &Link) -> Result<()> {
        self.upsert_link(link)
    }

    async fn insert_service_secret(&mut self, secret: &ServiceSecret) -> Result<()> {
        self.insert_service_secret(secret)
    }

    async fn claim_nonce(
        &mut self,
        scope: &str,
        nonce: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        self.claim_nonce(scope, nonce, now, expires_at)
    }

    async fn insert_email(&mut self, email: &Email) -> Result<()> {
        self.insert_email(email)
    }

    async fn update_email(&mut self, email: &Email) -> Result<bool> {
        self.update_email(email)
    }

    async fn delete_email(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_email(tenant, id)
    }

    async fn insert_passcode(&mut self, passcode: &Passcode) -> Result<()> {
        self.insert_passcode(passcode)
    }

    async fn count_passcode_failure(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<u32>> {
        self.count_passcode_failure(tenant, id)
    }

    async fn delete_passcode(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_passcode(tenant, id)
    }

    async fn delete_expired_passcodes(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.delete_expired_passcodes(now)
    }

    async fn upsert_password(&mut self, password: &Password) -> Result<bool> {
        self.upsert_password(password)
    }

    async fn insert_session(&mut self, session: &Session) -> Result<()> {
        self.insert_session(session)
    }

    async fn delete_session(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_session(tenant, id)
    }

    async fn delete_user_sessions(&mut self, tenant: TenantId, user: UserId) -> Result<u64> {
        self.delete_user_sessions(tenant, user)
    }

    async fn delete_expired_sessions(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.delete_expired_sessions(now)
    }

    async fn upsert_identity(&mut self, identity: &Identity) -> Result<()> {
        self.upsert_identity(identity)
    }

    async fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<()> {
        self.insert_one_time_token(token)
    }

    async fn take_one_time_token(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<OneTimeToken>> {
        self.take_one_time_token(tenant, hash)
    }

    async fn delete_expired_one_time_tokens(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.delete_expired_one_time_tokens(now)
    }

    async fn insert_webhook(&mut self, webhook: &Webhook) -> Result<()> {
        self.insert_webhook(webhook)
    }

    async fn update_webhook(&mut self, webhook: &Webhook) -> Result<bool> {
        self.update_webhook(webhook)
    }

    async fn delete_webhook(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_webhook(tenant, id)
    }

    async fn count_webhook_failure(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        max_failures: u32,
    ) -> Result<Option<Webhook>> {
        self.count_webhook_failure(tenant, id, max_failures)
    }

    async fn reset_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        expires_at: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Result<bool> {
        self.reset_webhook(tenant, id, expires_at, at)
    }

    async fn expire_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<bool> {
        self.expire_webhook(tenant, id, now)
    }

    async fn insert_webhook_delivery(&mut self, delivery: &WebhookDelivery) -> Result<()> {
        self.insert_webhook_delivery(delivery)
    }

    async fn claim_webhook_deliveries(
        &mut self,
        now: OffsetDateTime,
        leased_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        self.claim_webhook_deliveries(now, leased_until, limit)
    }

    async fn reschedule_webhook_delivery(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        attempts: u32,
        due_at: OffsetDateTime,
    ) -> Result<bool> {
        self.reschedule_webhook_delivery(tenant, id, attempts, due_at)
    }

    async fn delete_webhook_delivery(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_webhook_delivery(tenant, id)
    }

    async fn commit(mut self) -> Result<()> {
        let committed = run(self.connection()?, "COMMIT");
        // A COMMIT that failed (a full disk) may have rolled back already; dropping `self` ends
        // the transaction otherwise.
        self.open = self
            .handle
            .connection()
            .is_some_and(|connection| !connection.is_autocommit());
        committed.map_err(db)
    }
}
