//! Webhooks through the engine on SQLite in memory: what fires, what waits in the outbox, the
//! token a delivery carries, retries with backoff, and the state of hooks added through the
//! admin API.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::accounts::{
    FIRST_RETRY, LONGEST_RETRY, MAX_DELIVERY_ATTEMPTS, MAX_WEBHOOK_FAILURES, NewAccount,
    NewAddress, OutgoingWebhook, ProviderUser, WEBHOOK_LIFETIME,
};
use latchkey_engine::model::UserId;
use latchkey_engine::model::webhooks::{ConfigHook, WebhookEvent};
use latchkey_engine::{Store, WriteTx};
use serde_json::Value;
use time::Duration;

use crate::accounts::accounts;
use crate::ceremonies::{Fixture, RP_ID, meta};

const CALLBACK: &str = "https://receiver.example/hook";

/// A fixture whose tenant posts `events` to [`CALLBACK`] from its configuration.
async fn hooked(events: &[&str]) -> Fixture {
    let events: Vec<String> = events.iter().map(|event| (*event).to_owned()).collect();
    accounts(move |config| {
        config.webhooks.enabled = true;
        config.webhooks.allow_time_expiration = true;
        config.webhooks.hooks = vec![ConfigHook {
            callback: CALLBACK.to_owned(),
            events,
        }];
    })
    .await
}

impl Fixture {
    async fn create_user(&self, address: &str) -> UserId {
        self.engine
            .create_account(
                self.tenant,
                NewAccount {
                    id: None,
                    emails: vec![NewAddress {
                        address: address.to_owned(),
                        primary: true,
                        verified: true,
                    }],
                    created_at: None,
                },
            )
            .await
            .unwrap()
            .user
            .id
    }

    async fn claim(&self) -> Vec<OutgoingWebhook> {
        self.engine.claim_webhooks(100).await.unwrap()
    }

    async fn fail(&self, outgoing: &OutgoingWebhook) {
        self.engine
            .record_webhook_attempt(&outgoing.delivery, false)
            .await
            .unwrap();
    }
}

/// The body's JSON and the token's claims (its signature is checked by the system tests,
/// with the library receivers use).
fn opened(outgoing: &OutgoingWebhook) -> (Value, Value, Value) {
    let body: Value = serde_json::from_str(&outgoing.body).unwrap();
    let token = body["token"].as_str().unwrap();
    let mut parts = token.split('.');
    let mut part = || -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap()
    };
    let header = part();
    let claims = part();
    (body, header, claims)
}

#[tokio::test]
async fn a_delivery_carries_the_originals_token_signed_when_it_is_attempted() {
    let fx = hooked(&["user"]).await;
    let user = fx.create_user("alice@example.com").await;
    let due = fx.claim().await;
    assert_eq!(due.len(), 1);
    let (body, header, claims) = opened(&due[0]);
    assert!(outgoing_keys_in_order(&due[0].body));
    assert_eq!(body["event"], "user.create");
    assert_eq!(due[0].delivery.callback, CALLBACK);
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].is_string());
    assert_eq!(claims["sub"], "hanko webhooks");
    assert_eq!(claims["evt"], "user.create");
    assert_eq!(claims["aud"], serde_json::json!([RP_ID]));
    assert_eq!(claims["iat"], fx.now().unix_timestamp());
    assert_eq!(claims["exp"], fx.now().unix_timestamp() + 300);
    assert!(claims.get("iss").is_none());
    assert_eq!(claims["data"]["id"], user.0.to_string());
    assert_eq!(claims["data"]["emails"][0]["address"], "alice@example.com");
    assert_eq!(claims["data"]["emails"][0]["is_primary"], true);
    assert!(claims["data"].get("webauthn_credentials").is_none());

    // A retry an hour later carries a token of its own time.
    fx.fail(&due[0]).await;
    fx.advance(Duration::hours(1));
    let retried = fx.claim().await;
    let (_, _, claims) = opened(&retried[0]);
    assert_eq!(claims["iat"], fx.now().unix_timestamp());
}

fn outgoing_keys_in_order(body: &str) -> bool {
    body.starts_with(r#"{"token":""#) && body.contains(r#"","event":""#)
}

#[tokio::test]
async fn a_claimed_delivery_is_leased_and_a_rolled_back_event_sends_nothing() {
    let fx = hooked(&["user.create"]).await;
    let user = fx.create_user("bob@example.com").await;
    assert_eq!(fx.claim().await.len(), 1);
    assert!(fx.claim().await.is_empty(), "leased to the first claim");

    let tenant = fx.engine.accounts_tenant(fx.tenant).await.unwrap();
    let mut tx = fx.engine.store().write().await.unwrap();
    fx.engine
        .enqueue_user_event(&mut tx, &tenant, WebhookEvent::UserCreate, user)
        .await
        .unwrap();
    drop(tx);
    fx.advance(Duration::seconds(30));
    assert!(fx.claim().await.is_empty(), "the rolled-back event is gone");

    let mut tx = fx.engine.store().write().await.unwrap();
    fx.engine
        .enqueue_user_event(&mut tx, &tenant, WebhookEvent::UserCreate, user)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(fx.claim().await.len(), 1, "the committed one is due");
    fx.advance(Duration::seconds(60));
    assert_eq!(fx.claim().await.len(), 2, "both leases ended");
}

#[tokio::test]
async fn only_subscribed_events_fire_and_nothing_while_webhooks_are_off() {
    let fx = hooked(&["user.update.email"]).await;
    let user = fx.create_user("carol@example.com").await;
    assert!(fx.claim().await.is_empty(), "user.create is not subscribed");
    let added = fx
        .engine
        .assign_email(fx.tenant, user, "carol2@example.com", false)
        .await
        .unwrap();
    fx.engine
        .promote_email(fx.tenant, user, added.id)
        .await
        .unwrap();
    let mut events: Vec<String> = fx
        .claim()
        .await
        .iter()
        .map(|outgoing| outgoing.delivery.event.clone())
        .collect();
    // Both fired at the same instant of the test's clock: their order is not defined.
    events.sort();
    assert_eq!(
        events,
        ["user.update.email.create", "user.update.email.primary"]
    );

    fx.engine
        .update_tenant_config(fx.tenant, |config| {
            let mut config = config.clone();
            config.hanko_public.webhooks.enabled = false;
            Ok(config)
        })
        .await
        .unwrap();
    fx.engine
        .create_webhook(fx.tenant, CALLBACK, &["user".to_owned()])
        .await
        .unwrap();
    fx.create_user("dave@example.com").await;
    assert!(fx.claim().await.is_empty());
}

#[tokio::test]
async fn failed_attempts_are_retried_with_backoff_until_the_last() {
    let fx = hooked(&["user"]).await;
    fx.create_user("erin@example.com").await;
    let mut wait = FIRST_RETRY;
    for attempt in 1..MAX_DELIVERY_ATTEMPTS {
        let due = fx.claim().await;
        assert_eq!(due.len(), 1, "attempt {attempt}");
        assert_eq!(due[0].delivery.attempts, attempt - 1);
        fx.fail(&due[0]).await;
        fx.advance(wait - Duration::seconds(1));
        assert!(fx.claim().await.is_empty(), "not due before {wait}");
        fx.advance(Duration::seconds(1));
        wait = (wait * 2_i32).min(LONGEST_RETRY);
    }
    let last = fx.claim().await;
    fx.fail(&last[0]).await;
    fx.advance(LONGEST_RETRY);
    assert!(fx.claim().await.is_empty(), "given up");
}

#[tokio::test]
async fn a_hook_of_the_admin_api_is_disabled_after_repeated_give_ups_and_reset_by_a_success() {
    let fx = hooked(&[]).await;
    let hook = fx
        .engine
        .create_webhook(fx.tenant, CALLBACK, &["user.create".to_owned()])
        .await
        .unwrap();
    let give_up = || async {
        for _ in 0..MAX_DELIVERY_ATTEMPTS {
            let due = fx.claim().await;
            fx.fail(&due[0]).await;
            fx.advance(LONGEST_RETRY);
        }
    };
    fx.create_user("frank@example.com").await;
    give_up().await;
    let counted = fx.engine.webhook(fx.tenant, hook.id).await.unwrap();
    assert_eq!((counted.failures, counted.enabled), (1, true));

    fx.create_user("grace@example.com").await;
    let due = fx.claim().await;
    fx.engine
        .record_webhook_attempt(&due[0].delivery, true)
        .await
        .unwrap();
    let reset = fx.engine.webhook(fx.tenant, hook.id).await.unwrap();
    assert_eq!(reset.failures, 0);
    assert_eq!(reset.expires_at, fx.now() + WEBHOOK_LIFETIME);

    for n in 0..=MAX_WEBHOOK_FAILURES {
        fx.create_user(&format!("user{n}@example.com")).await;
        give_up().await;
    }
    let disabled = fx.engine.webhook(fx.tenant, hook.id).await.unwrap();
    assert_eq!(disabled.failures, MAX_WEBHOOK_FAILURES + 1);
    assert!(!disabled.enabled);
    fx.create_user("heidi@example.com").await;
    assert!(fx.claim().await.is_empty(), "a disabled hook gets nothing");
}

#[tokio::test]
async fn a_hook_without_success_for_30_days_expires_when_the_tenant_allows_it() {
    let fx = hooked(&[]).await;
    let hook = fx
        .engine
        .create_webhook(fx.tenant, CALLBACK, &["user".to_owned()])
        .await
        .unwrap();
    fx.advance(WEBHOOK_LIFETIME + Duration::seconds(1));
    fx.create_user("ivan@example.com").await;
    assert!(fx.claim().await.is_empty());
    assert!(!fx.engine.webhook(fx.tenant, hook.id).await.unwrap().enabled);
}

impl Fixture {
    /// Claims what is due and reports every post delivered; the events posted, sorted.
    async fn deliver_all(&self) -> Vec<(String, Value)> {
        let mut posted = Vec::new();
        for outgoing in self.claim().await {
            self.engine
                .record_webhook_attempt(&outgoing.delivery, true)
                .await
                .unwrap();
            let (_, _, claims) = opened(&outgoing);
            posted.push((outgoing.delivery.event, claims["data"].clone()));
        }
        posted.sort_by(|a, b| a.0.cmp(&b.0));
        posted
    }
}

fn names(posted: &[(String, Value)]) -> Vec<&str> {
    posted.iter().map(|(event, _)| event.as_str()).collect()
}

#[tokio::test]
async fn third_party_sign_in_fires_as_v0_12_and_linking_fires_nothing() {
    let fx = hooked(&["user"]).await;
    let login = |subject: &str, email: &str| {
        let who = ProviderUser {
            provider: "google".into(),
            subject: subject.into(),
            email: email.into(),
            email_verified: true,
        };
        let fx = &fx;
        async move {
            fx.engine
                .third_party_login(fx.tenant, &who, true, &meta())
                .await
                .unwrap()
        }
    };

    let judy = login("judy", "judy@example.test").await.user;
    assert_eq!(names(&fx.deliver_all().await), ["user.create"]);
    login("judy", "judy@example.test").await;
    assert!(
        fx.deliver_all().await.is_empty(),
        "a plain sign-in fires nothing"
    );
    login("judy", "judy.new@example.test").await;
    assert_eq!(names(&fx.deliver_all().await), ["user.update.email.create"]);

    // An address a sign-up left unproven, claimed by the provider's account.
    fx.engine
        .sign_up(fx.tenant, "judy.pending@example.test", &meta())
        .await
        .unwrap();
    login("judy", "judy.pending@example.test").await;
    let posted = fx.deliver_all().await;
    assert_eq!(names(&posted), ["user.update"]);
    assert_eq!(posted[0].1["id"], judy.0.to_string());

    // Linking an address a user holds already fires nothing.
    let kim = fx.create_user("kim@example.test").await;
    fx.deliver_all().await;
    assert_eq!(login("kim", "kim@example.test").await.user, kim);
    assert!(fx.deliver_all().await.is_empty());
}
