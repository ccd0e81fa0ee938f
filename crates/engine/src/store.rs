//! The storage contract. Each backend crate implements it with its own SQL and migrations; the
//! engine uses nothing else.
//!
//! Work happens in transactions: a [`ReadTx`] sees one consistent snapshot, a [`WriteTx`] makes
//! every change of one operation land together or not at all (dropping it uncommitted rolls it
//! back). After a method returned an error, the transaction is only good for dropping
//! (PostgreSQL refuses further statements).
//!
//! A ceremony's finish reads what it needs, verifies with no transaction open, then writes in
//! one short transaction whose statements re-check what the read saw: [`WriteTx::take_ceremony`]
//! finds nothing if a concurrent finish took the ceremony, and [`WriteTx::record_login`] refuses
//! to move a counter that another login moved first. Writers therefore never wait for
//! cryptography, and no decision rests on a read another writer could have overtaken.
//!
//! `latchkey_testkit::store_suite` is the executable form of this contract.

use std::future::Future;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::Result;
use crate::model::webhooks::{Webhook, WebhookDelivery};
use crate::model::{
    ApiKey, AuditEvent, AuditQuery, AuthenticatorPolicy, Ceremony, Community, Credential, Email,
    Identity, License, Link, OneTimeToken, Passcode, Password, ServiceSecret, Session, SigningKey,
    Tenant, TenantId, Transaction, User, UserId,
};

/// One page of a listing: `number` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Which page, from 1; 0 is read as 1.
    pub number: u32,
    /// How many rows a page holds.
    pub per_page: u32,
    /// Newest first when true (ordered by creation time).
    pub descending: bool,
}

impl Page {
    /// Rows to skip before this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.number.saturating_sub(1)) * u64::from(self.per_page)
    }
}

/// A page of results and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    /// The rows of the page asked for; empty past the last page.
    pub items: Vec<T>,
    /// How many rows match in all pages together.
    pub total: u64,
}

/// What [`WriteTx::record_login`] found and did, decided by one conditional update so that of
/// concurrent logins reporting the same counter exactly one counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRecord {
    /// The stored counter was below the reported one (or both are zero: the authenticator keeps
    /// no counter) and now equals it; backup state and time are recorded.
    Counted,
    /// The stored counter had already reached the reported one: another login got there first,
    /// or the credential is cloned. Backup state and time are recorded, the counter is not
    /// touched; a caller that refuses the login rolls the transaction back.
    NotIncreased {
        /// The counter as stored.
        stored: u32,
    },
    /// The tenant has no credential with this ID (it was deleted meanwhile).
    Missing,
}

/// A storage backend.
pub trait Store: Clone + Send + Sync + 'static {
    /// The backend's read-only transaction.
    type Read: ReadTx;
    /// The backend's write transaction.
    type Write: WriteTx;

    /// Starts a read-only transaction.
    fn read(&self) -> impl Future<Output = Result<Self::Read>> + Send;

    /// Starts a write transaction. SQLite takes its write lock here, so concurrent writers queue
    /// instead of failing midway.
    fn write(&self) -> impl Future<Output = Result<Self::Write>> + Send;

    /// Waits for open transactions to end, then closes every connection. A stopping server
    /// calls it last: SQLite folds its write-ahead log back into the database file only when
    /// the last connection closes, so without it a copy of the stopped database can miss
    /// every committed row.
    fn close(&self) -> impl Future<Output = ()> + Send;
}

/// Queries, in a transaction.
pub trait ReadTx: Send {
    /// The tenant `id`, of either kind; `None` if there is none.
    fn tenant(&mut self, id: TenantId) -> impl Future<Output = Result<Option<Tenant>>> + Send;
    /// The tenant `id` if it is an organisation.
    fn organisation(&mut self, id: TenantId)
    -> impl Future<Output = Result<Option<Tenant>>> + Send;
    /// Every organisation, oldest first; realms are listed with their communities.
    fn organisations(&mut self) -> impl Future<Output = Result<Vec<Tenant>>> + Send;

    /// The tenant's API key whose secret hashes to `hash`; `None` if the tenant has none.
    fn api_key_by_hash(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<ApiKey>>> + Send;
    /// Every API key of the tenant, oldest first; empty if it has none (or does not exist).
    fn api_keys(&mut self, tenant: TenantId) -> impl Future<Output = Result<Vec<ApiKey>>> + Send;

    /// Every signing key of the tenant, oldest first (the newest signs; all are published).
    fn signing_keys(
        &mut self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Vec<SigningKey>>> + Send;

    /// The user with latchkey's id `id` in the tenant; `None` if there is none.
    fn user(
        &mut self,
        tenant: TenantId,
        id: UserId,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    /// The user the tenant calls `external_id` (the WebAuthn user handle); `None` if there is
    /// none.
    fn user_by_external_id(
        &mut self,
        tenant: TenantId,
        external_id: &str,
    ) -> impl Future<Output = Result<Option<User>>> + Send;
    /// One page of the tenant's users by creation time, in the order `page` asks, and how many
    /// it has.
    fn users(
        &mut self,
        tenant: TenantId,
        page: Page,
    ) -> impl Future<Output = Result<Paged<User>>> + Send;

    /// The credential with this ID in the tenant; `None` if there is none, even if another
    /// tenant has one.
    fn credential(
        &mut self,
        tenant: TenantId,
        id: &[u8],
    ) -> impl Future<Output = Result<Option<Credential>>> + Send;
    /// Credentials of the tenant, or of one user, by creation time.
    fn credentials(
        &mut self,
        tenant: TenantId,
        user: Option<UserId>,
        page: Page,
    ) -> impl Future<Output = Result<Paged<Credential>>> + Send;

    /// The started ceremony of this challenge, expired or not; `None` if there is none (never
    /// started, finished, or swept). Reading it does not take it: see [`WriteTx::take_ceremony`].
    fn ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> impl Future<Output = Result<Option<Ceremony>>> + Send;

    /// The tenant's transaction whose confirmation challenge is `challenge`; `None` if there is
    /// none.
    fn transaction_by_challenge(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> impl Future<Output = Result<Option<Transaction>>> + Send;
    /// The user's transactions in the tenant, oldest first; empty if there are none.
    fn transactions(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> impl Future<Output = Result<Vec<Transaction>>> + Send;

    /// Audit events matching `query`, newest first whatever `page.descending` says.
    fn audit_events(
        &mut self,
        tenant: TenantId,
        query: &AuditQuery,
        page: Page,
    ) -> impl Future<Output = Result<Paged<AuditEvent>>> + Send;

    /// The community `id`, in any organisation (community ids are global); `None` if there is
    /// none or its realm is not inserted yet.
    fn community(&mut self, id: &str) -> impl Future<Output = Result<Option<Community>>> + Send;
    /// The communities of an organisation, oldest first.
    fn communities(
        &mut self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Vec<Community>>> + Send;

    /// The license whose key hashes to `hash`, in any tenant: the key alone names its tenant.
    fn license_by_hash(
        &mut self,
        hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<License>>> + Send;

    /// The licenses of a tenant, oldest first.
    fn licenses(&mut self, tenant: TenantId) -> impl Future<Output = Result<Vec<License>>> + Send;

    /// Vendor metadata of one realm (`None`: the global records), for these AAGUIDs (all when
    /// empty), ordered by AAGUID.
    fn vendor_metadata(
        &mut self,
        realm: Option<TenantId>,
        aaguids: &[Uuid],
    ) -> impl Future<Output = Result<Vec<AuthenticatorPolicy>>> + Send;

    /// Links of a realm, narrowed to one user and/or one DID, oldest first.
    fn links(
        &mut self,
        realm: TenantId,
        user: Option<UserId>,
        did: Option<&str>,
    ) -> impl Future<Output = Result<Vec<Link>>> + Send;

    /// The service secret called `name`; `None` if no process has made it yet.
    fn service_secret(
        &mut self,
        name: &str,
    ) -> impl Future<Output = Result<Option<ServiceSecret>>> + Send;

    /// The tenant's email address `id`; `None` if there is none.
    fn email(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Email>>> + Send;
    /// The tenant's email with this (lower-case) address, held by a user or not; `None` if
    /// there is none.
    fn email_by_address(
        &mut self,
        tenant: TenantId,
        address: &str,
    ) -> impl Future<Output = Result<Option<Email>>> + Send;
    /// The addresses the user holds, oldest first.
    fn emails(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> impl Future<Output = Result<Vec<Email>>> + Send;

    /// The passcode `id`, expired or not; `None` if there is none (never issued, used up, or
    /// swept).
    fn passcode(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Passcode>>> + Send;

    /// The user's password; `None` if they have not set one.
    fn password(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> impl Future<Output = Result<Option<Password>>> + Send;

    /// The session `id`, expired or not; `None` if it ended or was swept.
    fn session(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Session>>> + Send;

    /// The user's account at `provider` with the provider's id `subject`.
    fn identity(
        &mut self,
        tenant: TenantId,
        provider: &str,
        subject: &str,
    ) -> impl Future<Output = Result<Option<Identity>>> + Send;

    /// The tenant's webhooks added through the admin API, enabled or not, oldest first, each
    /// with its events in the order they were given.
    fn webhooks(&mut self, tenant: TenantId) -> impl Future<Output = Result<Vec<Webhook>>> + Send;
    /// The tenant's webhook `id` with its events; `None` if there is none.
    fn webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<Webhook>>> + Send;
}

/// Changes, in a transaction; nothing is visible to others before [`WriteTx::commit`].
pub trait WriteTx: ReadTx {
    /// A realm's community must exist, in the realm's organisation: `NotFound(Entity::Community)`
    /// otherwise. Insert the community first, then its realm.
    fn insert_tenant(&mut self, tenant: &Tenant) -> impl Future<Output = Result<()>> + Send;
    /// Replaces name and configuration (the kind never changes); `NotFound(Entity::Tenant)` if
    /// absent.
    fn update_tenant(&mut self, tenant: &Tenant) -> impl Future<Output = Result<()>> + Send;
    /// Deletes the tenant and everything it owns (an organisation owns its communities and
    /// their realms; a realm goes with its community); false if absent.
    fn delete_tenant(&mut self, id: TenantId) -> impl Future<Output = Result<bool>> + Send;

    /// `Conflict(Entity::ApiKey)` if the tenant already has a key with this id or this secret
    /// hash.
    fn insert_api_key(&mut self, key: &ApiKey) -> impl Future<Output = Result<()>> + Send;
    /// Revokes an API key: requests presenting it are refused. False if the tenant has no key
    /// with this id.
    fn delete_api_key(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Adds a signing key; being the newest, it signs from the commit on.
    /// `Conflict(Entity::SigningKey)` if the tenant already has one with this id.
    fn insert_signing_key(&mut self, key: &SigningKey) -> impl Future<Output = Result<()>> + Send;
    /// Retires a signing key: tokens it signed stop verifying. False if absent.
    fn delete_signing_key(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Creates the user, or updates name, display name and icon of the user with the same
    /// external id; returns the stored user (with its existing id when it was an update).
    fn upsert_user(&mut self, user: &User) -> impl Future<Output = Result<User>> + Send;
    /// Deletes the user with their credentials, transactions, emails, passcodes, password and
    /// sessions; false if absent.
    fn delete_user(
        &mut self,
        tenant: TenantId,
        id: UserId,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// `Conflict(Entity::Credential)` if the ID is already registered in the tenant. IDs are unique per
    /// tenant, not globally: a conflict across tenants would tell one which credentials another has.
    fn insert_credential(
        &mut self,
        credential: &Credential,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Replaces the credential's name; false if the tenant has no credential with this ID.
    fn rename_credential(
        &mut self,
        tenant: TenantId,
        id: &[u8],
        name: &str,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Stores what a login learned: counter, backup state, time. The counter moves only
    /// forward, in one conditional statement that sees the latest committed value (it waits for
    /// a concurrent writer of the row on PostgreSQL), so two logins can never both count the
    /// same value.
    fn record_login(
        &mut self,
        tenant: TenantId,
        id: &[u8],
        sign_count: u32,
        backup_state: bool,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<LoginRecord>> + Send;
    /// Deletes the credential and its links; false if the tenant has no credential with this ID.
    fn delete_credential(
        &mut self,
        tenant: TenantId,
        id: &[u8],
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Stores a started ceremony until its finish takes it or it expires.
    /// `Conflict(Entity::Ceremony)` if the tenant has a ceremony with this id or challenge.
    fn insert_ceremony(&mut self, ceremony: &Ceremony) -> impl Future<Output = Result<()>> + Send;
    /// Removes and returns the ceremony with this challenge, expired or not, so that of two
    /// concurrent finishes exactly one gets it.
    fn take_ceremony(
        &mut self,
        tenant: TenantId,
        challenge: &[u8],
    ) -> impl Future<Output = Result<Option<Ceremony>>> + Send;
    /// Removes ceremonies that expired before `now`; returns how many.
    fn delete_expired_ceremonies(
        &mut self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// `Conflict(Entity::Transaction)` if the identifier is taken in the tenant.
    fn insert_transaction(
        &mut self,
        transaction: &Transaction,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Appends an event to the tenant's audit log. `Conflict(Entity::AuditEvent)` if the tenant
    /// has an event with this id.
    fn insert_audit_event(&mut self, event: &AuditEvent)
    -> impl Future<Output = Result<()>> + Send;

    /// Removes at most `limit` audit events, of any tenant, created before `before`; returns
    /// how many.
    fn delete_audit_events_before(
        &mut self,
        before: OffsetDateTime,
        limit: u32,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Runs a statement that writes nothing but fails wherever a write would fail to start: a
    /// read-only database file, session or server. The caller rolls back.
    fn probe_write(&mut self) -> impl Future<Output = Result<()>> + Send;

    /// `Conflict(Entity::Community)` if the id is taken. `community.realm` is the tenant of kind
    /// [`TenantKind::Realm`](crate::model::TenantKind::Realm) inserted next: a community is
    /// found only once its realm exists.
    fn insert_community(
        &mut self,
        community: &Community,
    ) -> impl Future<Output = Result<()>> + Send;

    /// `Conflict(Entity::License)` if the tenant has a license with this id, or any tenant one
    /// with this key hash.
    fn insert_license(&mut self, license: &License) -> impl Future<Output = Result<()>> + Send;

    /// Revokes a license; false if the tenant has no license with this id.
    fn delete_license(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Creates the record of (realm, aaguid) or replaces name, metadata, disabled,
    /// certification, updated_by and updated_at of the existing one; returns the stored record
    /// (with the existing id).
    fn upsert_vendor_metadata(
        &mut self,
        record: &AuthenticatorPolicy,
    ) -> impl Future<Output = Result<AuthenticatorPolicy>> + Send;

    /// Deletes a realm's (or organisation's) own record of `aaguid`; whether there was one.
    /// Global records are never deleted: an import replaces them.
    fn delete_vendor_metadata(
        &mut self,
        realm: TenantId,
        aaguid: Uuid,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Links a credential to a DID; linking the same (realm, user, DID, credential) again only
    /// refreshes `linked_at`. Deleting the credential, user or realm deletes its links.
    fn upsert_link(&mut self, link: &Link) -> impl Future<Output = Result<()>> + Send;

    /// `Conflict(Entity::ServiceSecret)` if one with this name exists (another process made it
    /// first: read that one).
    fn insert_service_secret(
        &mut self,
        secret: &ServiceSecret,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Records a request nonce until `expires_at`; false (and nothing changed) if `scope` has
    /// seen it before and it has not expired. Expired nonces are removed here too.
    fn claim_nonce(
        &mut self,
        scope: &str,
        nonce: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// `Conflict(Entity::Email)` if the tenant has an email with this id or this address.
    /// The user, if any, must exist.
    fn insert_email(&mut self, email: &Email) -> impl Future<Output = Result<()>> + Send;
    /// Replaces user, verified, primary and updated_at of the email `email.id`; false if the
    /// tenant has no such email.
    fn update_email(&mut self, email: &Email) -> impl Future<Output = Result<bool>> + Send;
    /// Deletes the email and the passcodes sent to it; false if absent.
    fn delete_email(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Stores an issued passcode. `Conflict(Entity::Passcode)` if the id is taken. User and
    /// email must exist.
    fn insert_passcode(&mut self, passcode: &Passcode) -> impl Future<Output = Result<()>> + Send;
    /// Counts one more wrong code for the passcode, in one statement, and answers the new count;
    /// `None` if the passcode is gone (used up by a concurrent finalize).
    fn count_passcode_failure(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<Option<u32>>> + Send;
    /// Deletes the passcode; false if it was already gone, so that of two concurrent
    /// finalizes with the right code exactly one gets true.
    fn delete_passcode(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Removes passcodes that expired before `now`; returns how many.
    fn delete_expired_passcodes(
        &mut self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Sets the user's password: creates it, or replaces hash and updated_at (keeping
    /// created_at). True if it replaced one.
    fn upsert_password(&mut self, password: &Password)
    -> impl Future<Output = Result<bool>> + Send;

    /// Stores a new session. `Conflict(Entity::Session)` if the id is taken; the user must
    /// exist.
    fn insert_session(&mut self, session: &Session) -> impl Future<Output = Result<()>> + Send;
    /// Ends the session; false if it had already ended.
    fn delete_session(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Ends every session of the user; returns how many.
    fn delete_user_sessions(
        &mut self,
        tenant: TenantId,
        user: UserId,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Removes sessions that expired before `now`; returns how many.
    fn delete_expired_sessions(
        &mut self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Stores the identity, or replaces the one with its provider and subject (its user and
    /// creation time stay). The user and the email, if any, must exist.
    fn upsert_identity(&mut self, identity: &Identity) -> impl Future<Output = Result<()>> + Send;

    /// Stores a one-time token. `Conflict(Entity::OneTimeToken)` if its hash is taken; the
    /// user must exist.
    fn insert_one_time_token(
        &mut self,
        token: &OneTimeToken,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Removes the token with this hash and returns it, expired or not; `None` if there is none.
    fn take_one_time_token(
        &mut self,
        tenant: TenantId,
        hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<OneTimeToken>>> + Send;
    /// Removes one-time tokens that expired before `now`; returns how many.
    fn delete_expired_one_time_tokens(
        &mut self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u64>> + Send;

    /// Stores a webhook with its events. `Conflict(Entity::Webhook)` if the tenant has one with
    /// this id, or an event is listed twice.
    fn insert_webhook(&mut self, webhook: &Webhook) -> impl Future<Output = Result<()>> + Send;
    /// Replaces callback, enabled, failures, expires_at, updated_at and the events of the
    /// webhook `webhook.id`; false if the tenant has no such webhook.
    fn update_webhook(&mut self, webhook: &Webhook) -> impl Future<Output = Result<bool>> + Send;
    /// Deletes the webhook with its events and the deliveries waiting for it; false if absent.
    fn delete_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Counts one more delivery given up for the webhook, in one statement, and disables it
    /// once the count exceeds `max_failures`. Answers the webhook as it is now; `None` if it
    /// is gone.
    fn count_webhook_failure(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        max_failures: u32,
    ) -> impl Future<Output = Result<Option<Webhook>>> + Send;

    /// Records a successful delivery for the webhook: no failures, and `expires_at` anew;
    /// callback, events and `enabled` stay as a concurrent change left them. False if absent.
    fn reset_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        expires_at: OffsetDateTime,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Disables the webhook if it expired before `now` (one statement: a hook renewed
    /// meanwhile stays enabled); true if it did.
    fn expire_webhook(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Puts a delivery into the outbox. `Conflict(Entity::Webhook)` if the id is taken; the
    /// webhook, if any, must exist.
    fn insert_webhook_delivery(
        &mut self,
        delivery: &WebhookDelivery,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Leases at most `limit` deliveries, of any tenant, that are due at `now` and not leased
    /// beyond it, until `leased_until`, and answers them (oldest due first). Of concurrent
    /// claims, each delivery goes to one only: on PostgreSQL rows another claim has locked are
    /// skipped.
    fn claim_webhook_deliveries(
        &mut self,
        now: OffsetDateTime,
        leased_until: OffsetDateTime,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<WebhookDelivery>>> + Send;
    /// Records a failed attempt: sets attempts and the next due time and ends the lease; false
    /// if the delivery is gone.
    fn reschedule_webhook_delivery(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        attempts: u32,
        due_at: OffsetDateTime,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Removes a delivery (done, or given up); false if it was already gone.
    fn delete_webhook_delivery(
        &mut self,
        tenant: TenantId,
        id: Uuid,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Makes every change of the transaction visible at once. On an error nothing of it is
    /// stored.
    fn commit(self) -> impl Future<Output = Result<()>> + Send;
}
