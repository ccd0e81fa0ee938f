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

use latchkey_engine::model::webhooks::{Webhook, WebhookDelivery};
use latchkey_engine::model::{
    ApiKey, AuditEvent, AuditQuery, AuthenticatorPolicy, Ceremony, Community, Credential, Email,
    Identity, License, Link, OneTimeToken, Passcode, Password, ServiceSecret, Session, SigningKey,
    Tenant, TenantId, Transaction, User, UserId,
};
use latchkey_engine::{LoginRecord, Page, Paged, ReadTx, Result, WriteTx};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{corrupt, db};

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

impl<M> fmt::Debug for PostgresTx<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTx").finish_non_exhaustive()
    }
}

type Decoder<T> = fn(&PgRow) -> Result<T>;
type Statement<'q> = Query<'q, Postgres, PgArguments>;

impl<M> PostgresTx<M> {
    pub(crate) fn new(tx: sqlx::Transaction<'static, Postgres>) -> Self {
        Self {
            tx,
            mode: PhantomData,
        }
    }

    async fn optional<T>(&mut self, query: Statement<'_>, decode: Decoder<T>) -> Result<Option<T>> {
        query
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    async fn all<T>(&mut self, query: Statement<'_>, decode: Decoder<T>) -> Result<Vec<T>> {
        query
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?
            .iter()
            .map(decode)
            .collect()
    }

    /// Runs a statement; how many rows it changed.
    async fn execute(&mut self, query: Statement<'_>) -> Result<u64> {
        Ok(query
            .execute(&mut *self.tx)
            .await
            .map_err(db)?
            .rows_affected())
    }

    /// One page of `SELECT <columns> FROM <from> WHERE <filter>` and the count of all its rows,
    /// both in this transaction, so they agree.
    async fn paged<T>(
        &mut self,
        columns: &str,
        from_where: impl Fn(&mut QueryBuilder<'_, Postgres>),
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
            .map_err(db)?;

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
        let rows = select.build().fetch_all(&mut *self.tx).await.map_err(db)?;
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

impl<M> ReadTx for PostgresTx<M> {
    async fn tenant(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        self.tenant(id).await
    }

    async fn organisation(&mut self, id: TenantId) -> Result<Option<Tenant>> {
        self.organisation(id).await
    }

    async fn organisations(&mut self) -> Result<Vec<Tenant>> {
        self.organisations().await
    }

    async fn api_key_by_hash(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<ApiKey>> {
        self.api_key_by_hash(tenant, hash).await
    }

    async fn api_keys(&mut self, tenant: TenantId) -> Result<Vec<ApiKey>> {
        self.api_keys(tenant).await
    }

    async fn signing_keys(&mut self, tenant: TenantId) -> Result<Vec<SigningKey>> {
        self.signing_keys(tenant).await
    }

    async fn user(&mut self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        self.user(tenant, id).await
    }

    async fn user_by_external_id(
        &mut self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<Option<User>> {
        self.user_by_external_id(tenant, external_id).await
    }

    async fn users(&mut self, tenant: TenantId, page: Page) -> Result<Paged<User>> {
        self.users(tenant, page).await
    }

    async fn credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<Option<Credential>> {
        self.credential(tenant, id).await
    }

    async fn credentials(
        &mut self,
        tenant: TenantId,
        user: Option<UserId>,
        page: Page,
    ) -> Result<Paged<Credential>> {
        self.credentials(tenant, user, page).await
    }

    async fn ceremony(&mut self, tenant: TenantId, challenge: &[u8]) -> Result<Option<Ceremony>> {
        self.ceremony(tenant, challenge).await
    }

    async fn transaction_by_challenge(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Transaction>> {
        self.transaction_by_challenge(tenant, challenge).await
    }

    async fn transactions(&mut self, tenant: TenantId, user: UserId) -> Result<Vec<Transaction>> {
        self.transactions(tenant, user).await
    }

    async fn audit_events(
        &mut self,
        tenant: TenantId,
        query: &AuditQuery,
        page: Page,
    ) -> Result<Paged<AuditEvent>> {
        self.audit_events(tenant, query, page).await
    }

    async fn community(&mut self, id: &str) -> Result<Option<Community>> {
        self.community(id).await
    }

    async fn communities(&mut self, tenant: TenantId) -> Result<Vec<Community>> {
        self.communities(tenant).await
    }

    async fn license_by_hash(&mut self, hash: &[u8; 32]) -> Result<Option<License>> {
        self.license_by_hash(hash).await
    }

    async fn licenses(&mut self, tenant: TenantId) -> Result<Vec<License>> {
        self.licenses(tenant).await
    }

    async fn vendor_metadata(
        &mut self,
        realm: Option<TenantId>,
        aaguids: &[Uuid],
    ) -> Result<Vec<AuthenticatorPolicy>> {
        self.vendor_metadata(realm, aaguids).await
    }

    async fn links(
        &mut self,
        realm: TenantId,
        user: Option<UserId>,
        did: Option<&str>,
    ) -> Result<Vec<Link>> {
        self.links(realm, user, did).await
    }

    async fn service_secret(&mut self, name: &str) -> Result<Option<ServiceSecret>> {
        self.service_secret(name).await
    }

    async fn email(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Email>> {
        self.email(tenant, id).await
    }

    async fn email_by_address(&mut self, tenant: TenantId, address: &str) -> Result<Option<Email>> {
        self.email_by_address(tenant, address).await
    }

    async fn emails(&mut self, tenant: TenantId, user: UserId) -> Result<Vec<Email>> {
        self.emails(tenant, user).await
    }

    async fn passcode(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Passcode>> {
        self.passcode(tenant, id).await
    }

    async fn password(&mut self, tenant: TenantId, user: UserId) -> Result<Option<Password>> {
        self.password(tenant, user).await
    }

    async fn session(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Session>> {
        self.session(tenant, id).await
    }

    async fn identity(
        &mut self,
        tenant: TenantId,
        provider: &str,
        subject: &str,
    ) -> Result<Option<Identity>> {
        self.identity(tenant, provider, subject).await
    }

    async fn webhooks(&mut self, tenant: TenantId) -> Result<Vec<Webhook>> {
        self.webhooks(tenant).await
    }

    async fn webhook(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<Webhook>> {
        self.webhook(tenant, id).await
    }
}

impl WriteTx for PostgresTx<ReadWrite> {
    async fn insert_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        self.insert_tenant(tenant).await
    }

    async fn update_tenant(&mut self, tenant: &Tenant) -> Result<()> {
        self.update_tenant(tenant).await
    }

    async fn delete_tenant(&mut self, id: TenantId) -> Result<bool> {
        self.delete_tenant(id).await
    }

    async fn insert_api_key(&mut self, key: &ApiKey) -> Result<()> {
        self.insert_api_key(key).await
    }

    async fn delete_api_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_api_key(tenant, id).await
    }

    async fn insert_signing_key(&mut self, key: &SigningKey) -> Result<()> {
        self.insert_signing_key(key).await
    }

    async fn delete_signing_key(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_signing_key(tenant, id).await
    }

    async fn upsert_user(&mut self, user: &User) -> Result<User> {
        self.upsert_user(user).await
    }

    async fn delete_user(&mut self, tenant: TenantId, id: UserId) -> Result<bool> {
        self.delete_user(tenant, id).await
    }

    async fn insert_credential(&mut self, credential: &Credential) -> Result<()> {
        self.insert_credential(credential).await
    }

    async fn rename_credential(&mut self, tenant: TenantId, id: &[u8], name: &str) -> Result<bool> {
        self.rename_credential(tenant, id, name).await
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
            .await
    }

    async fn delete_credential(&mut self, tenant: TenantId, id: &[u8]) -> Result<bool> {
        self.delete_credential(tenant, id).await
    }

    async fn insert_ceremony(&mut self, ceremony: &Ceremony) -> Result<()> {
        self.insert_ceremony(ceremony).await
    }

    async fn take_ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> Result<Option<Ceremony>> {
        self.take_ceremony(tenant, challenge).await
    }

    async fn delete_expired_ceremonies(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.delete_expired_ceremonies(now).await
    }

    async fn insert_transaction(&mut self, transaction: &Transaction) -> Result<()> {
        self.insert_transaction(transaction).await
    }

    async fn insert_audit_event(&mut self, event: &AuditEvent) -> Result<()> {
        self.insert_audit_event(event).await
    }

    async fn delete_audit_events_before(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<u64> {
        self.delete_audit_events_before(before, limit).await
    }

    async fn probe_write(&mut self) -> Result<()> {
        let query = sqlx::query("DELETE FROM ceremonies WHERE false");
        self.execute(query).await.map(drop)
    }

    async fn insert_community(&mut self, community: &Community) -> Result<()> {
        self.insert_community(community).await
    }

    async fn insert_license(&mut self, license: &License) -> Result<()> {
        self.insert_license(license).await
    }

    async fn delete_license(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_license(tenant, id).await
    }

    async fn upsert_vendor_metadata(
        &mut self,
        record: &AuthenticatorPolicy,
    ) -> Result<AuthenticatorPolicy> {
        self.upsert_vendor_metadata(record).await
    }

    async fn delete_vendor_metadata(&mut self, realm: TenantId, aaguid: Uuid) -> Result<bool> {
        self.delete_vendor_metadata(realm, aaguid).await
    }

    async fn upsert_link(&mut self, link: &Link) -> Result<()> {
        self.upsert_link(link).await
    }

    async fn insert_service_secret(&mut self, secret: &ServiceSecret) -> Result<()> {
        self.insert_service_secret(secret).await
    }

    async fn claim_nonce(
        &mut self,
        scope: &str,
        nonce: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        self.claim_nonce(scope, nonce, now, expires_at).await
    }

    async fn insert_email(&mut self, email: &Email) -> Result<()> {
        self.insert_email(email).await
    }

    async fn update_email(&mut self, email: &Email) -> Result<bool> {
        self.update_email(email).await
    }

    async fn delete_email(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_email(tenant, id).await
    }

    async fn insert_passcode(&mut self, passcode: &Passcode) -> Result<()> {
        self.insert_passcode(passcode).await
    }

    async fn count_passcode_failure(&mut self, tenant: TenantId, id: Uuid) -> Result<Option<u32>> {
        self.count_passcode_failure(tenant, id).await
    }

    async fn delete_passcode(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_passcode(tenant, id).await
    }

    async fn delete_expired_passcodes(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.delete_expired_passcodes(now).await
    }

    async fn upsert_password(&mut self, password: &Password) -> Result<bool> {
        self.upsert_password(password).await
    }

    async fn insert_session(&mut self, session: &Session) -> Result<()> {
        self.insert_session(session).await
    }

    async fn delete_session(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_session(tenant, id).await
    }

    async fn delete_user_sessions(&mut self, tenant: TenantId, user: UserId) -> Result<u64> {
        self.delete_user_sessions(tenant, user).await
    }

    async fn delete_expired_sessions(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.delete_expired_sessions(now).await
    }

    async fn upsert_identity(&mut self, identity: &Identity) -> Result<()> {
        self.upsert_identity(identity).await
    }

    async fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<()> {
        self.insert_one_time_token(token).await
    }

    async fn take_one_time_token(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> Result<Option<OneTimeToken>> {
        self.take_one_time_token(tenant, hash).await
    }

    async fn delete_expired_one_time_tokens(&mut self, now: OffsetDateTime) -> Result<u64> {
        self.delete_expired_one_time_tokens(now).await
    }

    async fn insert_webhook(&mut self, webhook: &Webhook) -> Result<()> {
        self.insert_webhook(webhook).await
    }

    async fn update_webhook(&mut self, webhook: &Webhook) -> Result<bool> {
        self.update_webhook(webhook).await
    }

    async fn delete_webhook(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_webhook(tenant, id).await
    }

    async fn count_webhook_failure(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        max_failures: u32,
    ) -> Result<Option<Webhook>> {
        self.count_webhook_failure(tenant, id, max_failures).await
    }

    async fn reset_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        expires_at: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Result<bool> {
        self.reset_webhook(tenant, id, expires_at, at).await
    }

    async fn expire_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> Result<bool> {
        self.expire_webhook(tenant, id, now).await
    }

    async fn insert_webhook_delivery(&mut self, delivery: &WebhookDelivery) -> Result<()> {
        self.insert_webhook_delivery(delivery).await
    }

    async fn claim_webhook_deliveries(
        &mut self,
        now: OffsetDateTime,
        leased_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        self.claim_webhook_deliveries(now, leased_until, limit)
            .await
    }

    async fn reschedule_webhook_delivery(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        attempts: u32,
        due_at: OffsetDateTime,
    ) -> Result<bool> {
        self.reschedule_webhook_delivery(tenant, id, attempts, due_at)
            .await
    }

    async fn delete_webhook_delivery(&mut self, tenant: TenantId, id: Uuid) -> Result<bool> {
        self.delete_webhook_delivery(tenant, id).await
    }

    async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(db)
    }
}
