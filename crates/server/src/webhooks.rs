//! The delivery task of the Hanko Public API's webhooks: posts what the engine's outbox holds,
//! as v0.12 posts it (`POST <callback>` with `{"token","event"}` and `Content-Type:
//! application/json`), and reports each attempt back to the engine, which retries failures
//! with backoff. It wakes when a commit put deliveries into the outbox, and polls besides
//! (deliveries due for a retry, and those another instance committed).

use std::sync::Arc;
use std::time::Duration;

use latchkey_engine::accounts::OutgoingWebhook;
use latchkey_engine::{Engine, Store};
use reqwest::header::CONTENT_TYPE;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// How long a receiver has to answer one post. The engine's lease on a claimed delivery is
/// longer, so no other instance claims it meanwhile.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// How often due deliveries are looked for without a wake-up.
const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Deliveries claimed, and posted concurrently, at a time.
const BATCH: u32 = 32;

/// Runs the delivery task until `stopped` turns true; posts under way are finished first.
pub(crate) fn spawn_delivery<S: Store>(
    engine: Arc<Engine<S>>,
    mut stopped: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "webhooks cannot be posted: no HTTP client");
                return;
            }
        };
        let wakeup = engine.webhook_wakeup();
        let mut interval = tokio::time::interval(POLL_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                () = wakeup.notified() => {}
                _ = stopped.wait_for(|stop| *stop) => return,
            }
            deliver_due(&engine, &client).await;
        }
    })
}

/// A client that follows no redirects (a hook answering 3xx counts as delivered, as in v0.12,
/// but is not followed elsewhere) and gives up after [`POST_TIMEOUT`].
fn client() -> reqwest::Result<reqwest::Client> {
    // reqwest's rustls needs a process-wide provider; another part of the server may have
    // installed the same one first, which is fine.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(POST_TIMEOUT)
        .user_agent("latchkey")
        .build()
}

/// Posts due deliveries, a batch at a time, until none is due.
async fn deliver_due<S: Store>(engine: &Arc<Engine<S>>, client: &reqwest::Client) {
    loop {
        let batch = match engine.claim_webhooks(BATCH).await {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(%error, "could not claim webhook deliveries");
                return;
            }
        };
        let full = batch.len() == BATCH as usize;
        let mut posts = JoinSet::new();
        for outgoing in batch {
            let engine = Arc::clone(engine);
            let client = client.clone();
            posts.spawn(async move {
                let delivered = post(&client, &outgoing).await;
                if let Err(error) = engine
                    .record_webhook_attempt(&outgoing.delivery, delivered)
                    .await
                {
                    tracing::warn!(%error, "could not record a webhook attempt");
                }
            });
        }
        while posts.join_next().await.is_some() {}
        if !full {
            return;
        }
    }
}

/// One attempt: delivered when the receiver answered below 400, as v0.12 counts it. The
/// token and the event's data are never logged.
async fn post(client: &reqwest::Client, outgoing: &OutgoingWebhook) -> bool {
    let delivery = &outgoing.delivery;
    let answer = client
        .post(&delivery.callback)
        .header(CONTENT_TYPE, "application/json")
        .body(outgoing.body.clone())
        .send()
        .await;
    match answer {
        // Dropping the response closes its body.
        Ok(response) if response.status().as_u16() < 400 => {
            tracing::debug!(event = %delivery.event, delivery = %delivery.id, "webhook delivered");
            true
        }
        Ok(response) => {
            tracing::warn!(
                event = %delivery.event,
                delivery = %delivery.id,
                attempt = delivery.attempts + 1,
                status = response.status().as_u16(),
                "webhook refused"
            );
            false
        }
        Err(error) => {
            tracing::warn!(
                event = %delivery.event,
                delivery = %delivery.id,
                attempt = delivery.attempts + 1,
                error = %error.without_url(),
                "webhook not delivered"
            );
            false
        }
    }
}
