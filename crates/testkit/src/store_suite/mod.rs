//! The store conformance suite: the behaviour every [`Store`] backend must show, written once
//! against the traits and run by each backend crate's tests. One module per area; [`run_all`]
//! runs them all.
//!
//! Every check creates its own tenants with fresh ids and deletes them at the end, so the suite
//! can run against a database that other runs share and assumes nothing about what else is in
//! it. Times are fixed and in whole microseconds, the precision PostgreSQL keeps.
//!
//! A check holds at most one transaction at a time: an in-memory SQLite store has a single
//! connection, and a second transaction in the same task would wait for it forever.

// A failing check must stop and show the value that was wrong, which is what `unwrap` and
// `assert!` do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod audit;
mod ceremonies;
mod consistency;
mod credentials;
mod keys;
mod kosmos;
mod records;
mod tenants;
mod third_party;
mod upgrade;
mod users;
mod webhooks;

use latchkey_engine::Store;

pub use records::tenant_record;
pub use upgrade::{PreviousRealm, enum_texts};

/// Runs every check, one after another.
pub async fn run_all<S: Store>(store: &S) {
    tenants::tenant_crud(store).await;
    tenants::tenant_delete_cascades(store).await;
    tenants::realms(store).await;
    keys::api_keys(store).await;
    keys::signing_keys_oldest_first(store).await;
    users::upsert_user(store).await;
    users::users_paging(store).await;
    users::delete_user(store).await;
    credentials::credential_lifecycle(store).await;
    credentials::credentials_paging(store).await;
    credentials::credential_isolation(store).await;
    credentials::concurrent_logins_count_once(store).await;
    ceremonies::ceremony_take(store).await;
    ceremonies::ceremony_expiry(store).await;
    ceremonies::ceremony_concurrent_take(store).await;
    ceremonies::transactions(store).await;
    audit::audit_filters(store).await;
    audit::audit_paging(store).await;
    audit::audit_retention(store).await;
    consistency::write_probe(store).await;
    consistency::rollback_and_visibility(store).await;
    kosmos::communities(store).await;
    kosmos::licenses(store).await;
    kosmos::vendor_metadata(store).await;
    kosmos::links(store).await;
    kosmos::service_secrets(store).await;
    kosmos::nonces(store).await;
    accounts::emails(store).await;
    accounts::email_updates(store).await;
    accounts::delete_email(store).await;
    accounts::passcodes(store).await;
    accounts::passcode_concurrency(store).await;
    accounts::expiry(store).await;
    accounts::passwords(store).await;
    accounts::sessions(store).await;
    accounts::delete_user_cascades(store).await;
    accounts::delete_tenant_cascades(store).await;
    third_party::identities(store).await;
    third_party::one_time_tokens(store).await;
    webhooks::webhooks(store).await;
    webhooks::webhook_failures(store).await;
    webhooks::webhook_deliveries(store).await;
}
