//! What an administrator does with the accounts of the Hanko Public API (the original's admin
//! API): create users with their addresses, list and delete them, manage their addresses, end
//! their sessions and read the audit log. An administrator is trusted: the addresses they set
//! are the user's at once, verified or not as they say, with no passcode to prove them. Their
//! changes are not audited, as the original does not audit them.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{load_user, normalize_address, primary, public_config};
use crate::credentials::all_credentials;
use crate::model::webhooks::WebhookEvent;
use crate::model::{AuditEvent, AuditQuery, Credential, Email, TenantId, User, UserId};
use crate::{Engine, Entity, Error, Page, Paged, ReadTx, Result, Store, WriteTx};

/// Users read per query while a listing looks for the ones it shows.
const USERS_PER_SCAN: u32 = 500;

/// A user with every address they hold and their passkeys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedAccount {
    /// The user.
    pub user: User,
    /// Their addresses, oldest first.
    pub emails: Vec<Email>,
    /// Their passkeys, oldest first.
    pub credentials: Vec<Credential>,
    /// When the account last changed: the newest of its creation and its addresses' changes.
    pub updated_at: OffsetDateTime,
}

/// An address of a user an administrator creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAddress {
    /// The address, in any case.
    pub address: String,
    /// Whether it is the user's primary one: exactly one address of a new user is.
    pub primary: bool,
    /// Whether it counts as proven.
    pub verified: bool,
}

/// A user an administrator creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The user's id; a new one when `None`.
    pub id: Option<UserId>,
    /// At least one address, exactly one of them primary.
    pub emails: Vec<NewAddress>,
    /// When the user counts as created; now when `None` (an import keeps the original date).
    pub created_at: Option<OffsetDateTime>,
}

/// Which accounts a listing shows: those holding at least one address, narrowed by each
/// filter that is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    /// Only this user.
    pub user: Option<UserId>,
    /// Only users holding an address that contains this text, in any case.
    pub email: Option<String>,
}

impl AccountFilter {
    /// Whether a user holding `emails` is listed. A user without addresses is not an account
    /// yet (a sign-up waiting for its passcode) or not one of this API (a user of another
    /// dialect), and is never listed.
    fn shows(&self, emails: &[Email]) -> bool {
        let needle = self.email.as_deref().map(str::to_lowercase);
        emails.iter().any(|email| {
            needle
                .as_deref()
                .is_none_or(|needle| email.address.contains(needle))
        })
    }
}

impl<S: Store> Engine<S> {
    /// Creates a user holding `new.emails`, all in one transaction. `Conflict(User)` when the
    /// id is taken, `Conflict(Email)` when another user holds one of the addresses (or the
    /// request names one twice); an address waiting for the passcode of a sign-up goes to the
    /// new user.
    pub async fn create_account(
        &self,
        tenant: TenantId,
        new: NewAccount,
    ) -> Result<ManagedAccount> {
        let tenant = self.accounts_tenant(tenant).await?;
        let addresses = checked_addresses(&new.emails)?;
        let now = self.now();
        let id = new.id.unwrap_or_else(|| UserId(Uuid::new_v4()));
        let external_id = id.0.hyphenated().to_string();
        let primary_address = addresses
            .iter()
            .find(|(_, wanted)| wanted.primary)
            .map(|(address, _)| address.clone())
            .unwrap_or_default();
        let user = User {
            id,
            tenant: tenant.id,
            external_id,
            name: primary_address.clone(),
            display_name: primary_address,
            icon: None,
            created_at: new.created_at.unwrap_or(now),
        };
        let mut tx = self.store.write().await?;
        // The store would update a user with the same external id: a taken id is refused here.
        if tx.user(tenant.id, id).await?.is_some()
            || tx
                .user_by_external_id(tenant.id, &user.external_id)
                .await?
                .is_some()
        {
            return Err(Error::Conflict(Entity::User));
        }
        // A user of another dialect given this external id since the check would be updated,
        // not created: the stored user's id tells.
        if tx.upsert_user(&user).await?.id != id {
            return Err(Error::Conflict(Entity::User));
        }
        for (address, wanted) in addresses {
            match tx.email_by_address(tenant.id, &address).await? {
                Some(email) if email.user.is_some() => return Err(Error::Conflict(Entity::Email)),
                Some(pending) => {
                    tx.update_email(&Email {
                        user: Some(id),
                        verified: wanted.verified,
                        primary: wanted.primary,
                        updated_at: now,
                        ..pending
                    })
                    .await?;
                }
                None => {
                    tx.insert_email(&Email {
                        id: Uuid::new_v4(),
                        tenant: tenant.id,
                        user: Some(id),
                        address,
                        verified: wanted.verified,
                        primary: wanted.primary,
                        created_at: now,
                        updated_at: now,
                    })
                    .await?;
                }
            }
        }
        self.enqueue_user_event(&mut tx, &tenant, WebhookEvent::UserCreate, id)
            .await?;
        tx.commit().await?;
        self.wake_webhooks();
        self.account_details(tenant.id, id).await
    }

    /// One page of the accounts `filter` shows, by creation time in the order `page` asks, and
    /// how many it shows in all.
    ///
    /// The store has no query for users by their addresses, so every user of the tenant is
    /// read with their addresses to find the ones shown and count them: the cost grows with
    /// the tenant, not with the page (unless `filter.user` is set).
    pub async fn accounts(
        &self,
        tenant: TenantId,
        filter: &AccountFilter,
        page: Page,
    ) -> Result<Paged<ManagedAccount>> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        let mut shown = Shown::new(page);
        match filter.user {
            Some(user) => {
                if let Some(user) = tx.user(tenant.id, user).await? {
                    let emails = tx.emails(tenant.id, user.id).await?;
                    shown.offer(filter, user, emails);
                }
            }
            None => {
                let mut scan = Page {
                    number: 1,
                    per_page: USERS_PER_SCAN,
                    descending: page.descending,
                };
                loop {
                    let users = tx.users(tenant.id, scan).await?.items;
                    let last = users.len() < USERS_PER_SCAN as usize;
                    for user in users {
                        let emails = tx.emails(tenant.id, user.id).await?;
                        shown.offer(filter, user, emails);
                    }
                    if last {
                        break;
                    }
                    scan.number += 1;
                }
            }
        }
        let mut items = Vec::with_capacity(shown.items.len());
        for (user, emails) in shown.items {
            items.push(with_passkeys(&mut tx, user, emails).await?);
        }
        Ok(Paged {
            items,
            total: shown.total,
        })
    }

    /// The user with all their addresses and passkeys.
    pub async fn account_details(&self, tenant: TenantId, user: UserId) -> Result<ManagedAccount> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        let user = load_user(&mut tx, tenant.id, user).await?;
        let emails = tx.emails(tenant.id, user.id).await?;
        with_passkeys(&mut tx, user, emails).await
    }

    /// Deletes the user with everything they hold; their sessions end with them.
    pub async fn remove_account(&self, tenant: TenantId, user: UserId) -> Result<()> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.write().await?;
        if !self.delete_user_firing(&mut tx, &tenant, user).await? {
            return Err(Error::NotFound(Entity::User));
        }
        tx.commit().await?;
        self.wake_webhooks();
        Ok(())
    }

    /// Ends every session of the user; returns how many.
    pub async fn end_account_sessions(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        let tenant = self.accounts_tenant(tenant).await?;
        self.end_user_sessions(tenant.id, user).await
    }

    /// One of the user's addresses.
    pub async fn account_email(
        &self,
        tenant: TenantId,
        user: UserId,
        email: Uuid,
    ) -> Result<Email> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        load_user(&mut tx, tenant.id, user).await?;
        held_email(&mut tx, tenant.id, user, email).await
    }

    /// Gives the user `address` at once, verified as the administrator says; it is their
    /// primary one if they have none. `LimitReached(Email)` at `emails.max_num_of_addresses`,
    /// `Conflict(Email)` when a user holds it already; an address waiting for a passcode goes
    /// to this user.
    pub async fn assign_email(
        &self,
        tenant: TenantId,
        user: UserId,
        address: &str,
        verified: bool,
    ) -> Result<Email> {
        let tenant = self.accounts_tenant(tenant).await?;
        let config = public_config(&tenant)?;
        let address = normalize_address(address)?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        load_user(&mut tx, tenant.id, user).await?;
        let held = tx.emails(tenant.id, user).await?;
        if held.len() >= usize::try_from(config.emails.max_num_of_addresses).unwrap_or(usize::MAX) {
            return Err(Error::LimitReached(Entity::Email));
        }
        let first = primary(&held).is_none();
        let id = match tx.email_by_address(tenant.id, &address).await? {
            Some(email) if email.user.is_some() => return Err(Error::Conflict(Entity::Email)),
            Some(pending) => {
                tx.update_email(&Email {
                    user: Some(user),
                    verified,
                    primary: first,
                    updated_at: now,
                    ..pending
                })
                .await?;
                pending.id
            }
            None => {
                let id = Uuid::new_v4();
                tx.insert_email(&Email {
                    id,
                    tenant: tenant.id,
                    user: Some(user),
                    address,
                    verified,
                    primary: first,
                    created_at: now,
                    updated_at: now,
                })
                .await?;
                id
            }
        };
        // As stored, with the store's precision of times.
        let email = held_email(&mut tx, tenant.id, user, id).await?;
        self.enqueue_user_event(&mut tx, &tenant, WebhookEvent::EmailCreate, user)
            .await?;
        tx.commit().await?;
        self.wake_webhooks();
        Ok(email)
    }

    /// Makes one of the user's addresses their primary one, verified or not; a no-op if it
    /// already is.
    pub async fn promote_email(&self, tenant: TenantId, user: UserId, email: Uuid) -> Result<()> {
        let tenant = self.accounts_tenant(tenant).await?;
        let now = self.now();
        let mut tx = self.store.write().await?;
        load_user(&mut tx, tenant.id, user).await?;
        let emails = tx.emails(tenant.id, user).await?;
        let chosen = emails
            .iter()
            .find(|held| held.id == email)
            .cloned()
            .ok_or(Error::NotFound(Entity::Email))?;
        if chosen.primary {
            return Ok(());
        }
        // One primary per user: the old one steps down first.
        for old in emails.into_iter().filter(|held| held.primary) {
            tx.update_email(&Email {
                primary: false,
                updated_at: now,
                ..old
            })
            .await?;
        }
        tx.update_email(&Email {
            primary: true,
            updated_at: now,
            ..chosen
        })
        .await?;
        self.enqueue_user_event(&mut tx, &tenant, WebhookEvent::EmailPrimary, user)
            .await?;
        tx.commit().await?;
        self.wake_webhooks();
        Ok(())
    }

    /// Removes one of the user's addresses; `PrimaryEmail` for their primary one.
    pub async fn remove_email(&self, tenant: TenantId, user: UserId, email: Uuid) -> Result<()> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.write().await?;
        load_user(&mut tx, tenant.id, user).await?;
        if held_email(&mut tx, tenant.id, user, email).await?.primary {
            return Err(Error::PrimaryEmail);
        }
        tx.delete_email(tenant.id, email).await?;
        self.enqueue_user_event(&mut tx, &tenant, WebhookEvent::EmailDelete, user)
            .await?;
        tx.commit().await?;
        self.wake_webhooks();
        Ok(())
    }

    /// Audit events matching `query`, newest first. `actor_email` narrows them to the user who
    /// holds that address now: events do not record the actor's address, so an address that
    /// changed hands finds the events of its current holder, and one nobody holds finds none.
    pub async fn account_audit_log(
        &self,
        tenant: TenantId,
        query: &AuditQuery,
        actor_email: Option<&str>,
        page: Page,
    ) -> Result<Paged<AuditEvent>> {
        let tenant = self.accounts_tenant(tenant).await?;
        let mut tx = self.store.read().await?;
        let Some(address) = actor_email else {
            return tx.audit_events(tenant.id, query, page).await;
        };
        let address = normalize_address(address)?;
        let holder = tx
            .email_by_address(tenant.id, &address)
            .await?
            .and_then(|email| email.user)
            .map(|user| user.0.hyphenated().to_string());
        let actor = match holder {
            Some(actor)
                if query
                    .actor_user_id
                    .as_deref()
                    .is_none_or(|wanted| actor.contains(wanted)) =>
            {
                actor
            }
            _ => {
                return Ok(Paged {
                    items: Vec::new(),
                    total: 0,
                });
            }
        };
        let query = AuditQuery {
            actor_user_id: Some(actor),
            ..query.clone()
        };
        tx.audit_events(tenant.id, &query, page).await
    }
}

/// The addresses of a new user, normalized, with what the administrator said of each: at
/// least one, exactly one of them primary.
fn checked_addresses(wanted: &[NewAddress]) -> Result<Vec<(String, &NewAddress)>> {
    let invalid = |reason: &str| Error::Invalid {
        field: "emails",
        reason: reason.to_owned(),
    };
    if wanted.is_empty() {
        return Err(invalid("at least one email must be provided"));
    }
    match wanted.iter().filter(|email| email.primary).count() {
        0 => return Err(invalid("at least one primary email must be provided")),
        1 => {}
        _ => return Err(invalid("only one primary email is allowed")),
    }
    wanted
        .iter()
        .map(|email| Ok((normalize_address(&email.address)?, email)))
        .collect()
}

/// The user's address `email`; `NotFound(Email)` when they do not hold it.
async fn held_email<T: ReadTx>(
    tx: &mut T,
    tenant: TenantId,
    user: UserId,
    email: Uuid,
) -> Result<Email> {
    tx.email(tenant, email)
        .await?
        .filter(|held| held.user == Some(user))
        .ok_or(Error::NotFound(Entity::Email))
}

pub(super) async fn with_passkeys<T: ReadTx>(
    tx: &mut T,
    user: User,
    emails: Vec<Email>,
) -> Result<ManagedAccount> {
    let credentials = all_credentials(tx, user.tenant, Some(user.id))
        .await?
        .into_iter()
        .filter(|credential| !credential.is_mfa)
        .collect();
    let updated_at = emails
        .iter()
        .map(|email| email.updated_at)
        .fold(user.created_at, OffsetDateTime::max);
    Ok(ManagedAccount {
        user,
        emails,
        credentials,
        updated_at,
    })
}

/// The accounts of one page, collected while users are offered in listing order, and how many
/// were shown in all.
struct Shown {
    skip: u64,
    per_page: usize,
    total: u64,
    items: Vec<(User, Vec<Email>)>,
}

impl Shown {
    fn new(page: Page) -> Self {
        Self {
            skip: page.offset(),
            per_page: usize::try_from(page.per_page).unwrap_or(usize::MAX),
            total: 0,
            items: Vec::new(),
        }
    }

    fn offer(&mut self, filter: &AccountFilter, user: User, emails: Vec<Email>) {
        if !filter.shows(&emails) {
            return;
        }
        if self.total >= self.skip && self.items.len() < self.per_page {
            self.items.push((user, emails));
        }
        self.total += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str, primary: bool) -> NewAddress {
        NewAddress {
            address: text.to_owned(),
            primary,
            verified: false,
        }
    }

    fn email(address: &str) -> Email {
        Email {
            id: Uuid::nil(),
            tenant: TenantId(Uuid::nil()),
            user: None,
            address: address.to_owned(),
            verified: false,
            primary: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn user(n: u128) -> User {
        User {
            id: UserId(Uuid::from_u128(n)),
            tenant: TenantId(Uuid::nil()),
            external_id: n.to_string(),
            name: String::new(),
            display_name: String::new(),
            icon: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn reason(result: Result<Vec<(String, &NewAddress)>>) -> String {
        match result {
            Err(Error::Invalid { field, reason }) => format!("{field}: {reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_new_user_has_exactly_one_primary_address() {
        assert_eq!(
            reason(checked_addresses(&[])),
            "emails: at least one email must be provided"
        );
        assert_eq!(
            reason(checked_addresses(&[address("a@example.com", false)])),
            "emails: at least one primary email must be provided"
        );
        let two = [
            address("a@example.com", true),
            address("b@example.com", true),
        ];
        assert_eq!(
            reason(checked_addresses(&two)),
            "emails: only one primary email is allowed"
        );
        let bad = [address("not an address", true)];
        assert!(matches!(
            checked_addresses(&bad),
            Err(Error::Invalid { field: "email", .. })
        ));
        let good = [
            address(" A@Example.com", true),
            address("b@example.com", false),
        ];
        let checked = checked_addresses(&good).unwrap();
        assert_eq!(checked[0].0, "a@example.com");
        assert!(checked[0].1.primary && !checked[1].1.primary);
    }

    #[test]
    fn only_users_with_a_matching_address_are_shown() {
        let all = AccountFilter::default();
        assert!(!all.shows(&[]));
        assert!(all.shows(&[email("a@example.com")]));
        let by_email = AccountFilter {
            user: None,
            email: Some("EXAMPLE.org".to_owned()),
        };
        assert!(!by_email.shows(&[email("a@example.com")]));
        assert!(by_email.shows(&[email("a@example.com"), email("b@example.org")]));
    }

    #[test]
    fn a_page_keeps_its_share_and_counts_all() {
        let mut shown = Shown::new(Page {
            number: 2,
            per_page: 2,
            descending: false,
        });
        let filter = AccountFilter::default();
        for n in 1..=5 {
            shown.offer(&filter, user(n), vec![email("a@example.com")]);
            shown.offer(&filter, user(100 + n), Vec::new());
        }
        assert_eq!(shown.total, 5);
        let ids: Vec<u128> = shown
            .items
            .iter()
            .map(|(user, _)| user.id.0.as_u128())
            .collect();
        assert_eq!(ids, vec![3, 4]);
    }
}
