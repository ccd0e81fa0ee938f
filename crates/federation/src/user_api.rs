//! Providers without an ID token (GitHub, Discord): OAuth 2.0 by the oauth2 crate, then the
//! provider's own user API.

use latchkey_engine::accounts::{ProviderPlan, ProviderUser, UserApi};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use openidconnect::reqwest;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::{Callback, Error, Result};

fn client(
    plan: &ProviderPlan,
    authorization_endpoint: &str,
    token_endpoint: &str,
) -> Result<
    BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    >,
> {
    let setting =
        |name: &str, error: oauth2::url::ParseError| Error::Settings(format!("{name}: {error}"));
    Ok(BasicClient::new(ClientId::new(plan.client_id.clone()))
        .set_client_secret(ClientSecret::new(plan.secret.clone()))
        .set_auth_uri(
            AuthUrl::new(authorization_endpoint.to_owned())
                .map_err(|e| setting("authorization_endpoint", e))?,
        )
        .set_token_uri(
            TokenUrl::new(token_endpoint.to_owned()).map_err(|e| setting("token_endpoint", e))?,
        )
        .set_redirect_uri(
            RedirectUrl::new(plan.redirect_url.clone()).map_err(|e| setting("redirect_url", e))?,
        ))
}

pub(crate) fn authorization_url(
    plan: &ProviderPlan,
    authorization_endpoint: &str,
    token_endpoint: &str,
    state: &str,
    pkce_verifier: &str,
) -> Result<String> {
    let client = client(plan, authorization_endpoint, token_endpoint)?;
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(pkce_verifier.into()));
    let state = state.to_owned();
    let mut request = client
        .authorize_url(move || CsrfToken::new(state))
        .set_pkce_challenge(challenge)
        .add_extra_param("prompt", "consent");
    for scope in &plan.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    Ok(request.url().0.to_string())
}

pub(crate) async fn finish(
    http: &reqwest::Client,
    plan: &ProviderPlan,
    (authorization_endpoint, token_endpoint, userinfo_endpoint): (&str, &str, &str),
    api: UserApi,
    callback: Callback<'_>,
) -> Result<ProviderUser> {
    let client = client(plan, authorization_endpoint, token_endpoint)?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(callback.code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(callback.pkce_verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(|error| Error::Exchange(error.to_string()))?;
    let bearer = tokens.access_token().secret();
    let (subject, email, email_verified) = match api {
        UserApi::GitHub => {
            let user: GitHubUser = get(http, userinfo_endpoint, bearer).await?;
            let emails: Vec<GitHubEmail> =
                get(http, &format!("{userinfo_endpoint}/emails"), bearer).await?;
            let (email, verified) = github_address(&user, &emails).ok_or(Error::NoEmail)?;
            (user.id.to_string(), email, verified)
        }
        UserApi::Discord => {
            let user: DiscordUser = get(http, userinfo_endpoint, bearer).await?;
            let email = user.email.ok_or(Error::NoEmail)?;
            (user.id, email, user.verified)
        }
    };
    Ok(ProviderUser {
        provider: plan.name.clone(),
        subject,
        email,
        email_verified,
    })
}

async fn get<T: DeserializeOwned>(http: &reqwest::Client, url: &str, bearer: &str) -> Result<T> {
    let answer = http
        .get(url)
        .bearer_auth(bearer)
        .header("Accept", "application/json")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| Error::Request(format!("user API: {error}")))?;
    let body = answer
        .bytes()
        .await
        .map_err(|error| Error::Request(format!("user API: {error}")))?;
    serde_json::from_slice(&body).map_err(|error| Error::Answer(format!("user API: {error}")))
}

#[derive(Debug, Deserialize)]
struct GitHubUser {
    id: u64,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GitHubEmail {
    email: String,
    #[serde(default)]
    verified: bool,
    #[serde(default)]
    primary: bool,
}

/// The primary address from the address list, as the original; the profile's public address
/// (unproven) when the list has no primary.
fn github_address(user: &GitHubUser, emails: &[GitHubEmail]) -> Option<(String, bool)> {
    emails
        .iter()
        .find(|email| email.primary)
        .map(|email| (email.email.clone(), email.verified))
        .or_else(|| user.email.clone().map(|email| (email, false)))
}

#[derive(Debug, Deserialize)]
struct DiscordUser {
    id: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    verified: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_gives_the_primary_address_and_its_verification() {
        let user: GitHubUser =
            serde_json::from_str(include_str!("../vectors/github-user.json")).unwrap();
        let emails: Vec<GitHubEmail> =
            serde_json::from_str(include_str!("../vectors/github-emails.json")).unwrap();
        assert_eq!(user.id, 1);
        assert_eq!(
            github_address(&user, &emails),
            Some(("octocat@github.com".to_owned(), true))
        );
        assert_eq!(
            github_address(&user, &[]),
            Some(("octocat@github.com".to_owned(), false))
        );
    }

    #[test]
    fn discord_gives_its_address_and_flag() {
        let user: DiscordUser =
            serde_json::from_str(include_str!("../vectors/discord-user.json")).unwrap();
        assert_eq!(user.id, "80351110224678912");
        assert_eq!(user.email.as_deref(), Some("nelly@discord.com"));
        assert!(user.verified);
    }
}
