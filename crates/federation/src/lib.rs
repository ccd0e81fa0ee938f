//! latchkey's side of sign-in through OAuth 2.0 and OpenID Connect providers: the authorization
//! URL (with PKCE, state and nonce), the code exchange, the ID token's verification against the
//! provider's published keys, and the user APIs of providers that have no ID token. What a
//! sign-in then means for the tenant's users is the engine's business
//! (`latchkey_engine::accounts`); this crate only finds out who the provider says the user is.

mod error;
mod openid;
mod user_api;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use latchkey_engine::accounts::{Protocol, ProviderPlan, ProviderUser};
use openidconnect::reqwest;
use tokio::sync::Mutex;

pub use error::{Error, Result};

/// How long a provider may take to answer one request.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a discovered provider's endpoints and keys are used before they are fetched again.
const DISCOVERY_TTL: Duration = Duration::from_secs(600);

/// What a callback brings back from the provider.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    /// The authorization code.
    pub code: &'a str,
    /// The nonce the state carried, which the ID token must repeat.
    pub nonce: &'a str,
    /// The PKCE code verifier the state carried.
    pub pkce_verifier: &'a str,
}

/// The client of every provider of every tenant: one HTTP connection pool and the discovered
/// providers.
/// Built on first use: a server whose tenants use no provider never sets up TLS for them.
#[derive(Debug, Default)]
pub struct Federation {
    http: OnceLock<Result<reqwest::Client, String>>,
    discovered: Mutex<HashMap<String, (Instant, Arc<openid::Discovered>)>>,
}

impl Federation {
    /// A client that follows no redirects (the openidconnect crate's advice against SSRF) and
    /// gives up on a provider after ten seconds.
    fn http(&self) -> Result<&reqwest::Client> {
        self.http
            .get_or_init(|| {
                // reqwest's rustls needs a process-wide provider; another part of the server
                // may have installed the same one first, which is fine.
                let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(PROVIDER_TIMEOUT)
                    .user_agent("latchkey")
                    .build()
                    .map_err(|error| error.to_string())
            })
            .as_ref()
            .map_err(|error| Error::Settings(error.clone()))
    }

    /// Where to send the browser to sign in at the provider.
    pub async fn authorization_url(
        &self,
        plan: &ProviderPlan,
        state: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<String> {
        match &plan.protocol {
            Protocol::OpenId { issuer, .. } => {
                let discovered = self.discover(issuer).await?;
                openid::authorization_url(&discovered, plan, state, nonce, pkce_verifier)
            }
            Protocol::OAuth {
                authorization_endpoint,
                token_endpoint,
                ..
            } => user_api::authorization_url(
                plan,
                authorization_endpoint,
                token_endpoint,
                state,
                pkce_verifier,
            ),
        }
    }

    /// Exchanges the callback's code and finds out who the user is.
    pub async fn finish(
        &self,
        plan: &ProviderPlan,
        callback: Callback<'_>,
    ) -> Result<ProviderUser> {
        match &plan.protocol {
            Protocol::OpenId {
                issuer,
                any_microsoft_directory,
            } => {
                let discovered = self.discover(issuer).await?;
                openid::finish(
                    self.http()?,
                    &discovered,
                    plan,
                    *any_microsoft_directory,
                    callback,
                )
                .await
            }
            Protocol::OAuth {
                authorization_endpoint,
                token_endpoint,
                userinfo_endpoint,
                profile,
            } => {
                user_api::finish(
                    self.http()?,
                    plan,
                    (authorization_endpoint, token_endpoint, userinfo_endpoint),
                    *profile,
                    callback,
                )
                .await
            }
        }
    }

    async fn discover(&self, issuer: &str) -> Result<Arc<openid::Discovered>> {
        let mut cache = self.discovered.lock().await;
        if let Some((at, discovered)) = cache.get(issuer)
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(Arc::clone(discovered));
        }
        // The lock is held across the fetch so that a burst of sign-ins discovers once.
        let discovered = Arc::new(openid::discover(self.http()?, issuer).await?);
        cache.insert(issuer.to_owned(), (Instant::now(), Arc::clone(&discovered)));
        Ok(discovered)
    }
}
