//! OpenID Connect providers: discovery, the authorization URL, the code exchange and the ID
//! token's verification, by the openidconnect crate.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::accounts::{ProviderPlan, ProviderUser};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, reqwest,
};
use serde_json::Value;

use crate::{Callback, Error, Result};

/// A provider's discovery document with its keys.
pub(crate) type Discovered = CoreProviderMetadata;

/// The discovery document of `issuer` and the keys it names. The document's issuer is not
/// compared here: Microsoft's `common` document names a template, and [`finish`] checks the ID
/// token's issuer either way.
pub(crate) async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Discovered> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let answer = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| Error::Request(format!("discovery at {url}: {error}")))?;
    let body = answer
        .bytes()
        .await
        .map_err(|error| Error::Request(format!("discovery at {url}: {error}")))?;
    let metadata: CoreProviderMetadata = serde_json::from_slice(&body)
        .map_err(|error| Error::Answer(format!("discovery document of {issuer}: {error}")))?;
    let keys = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), http)
        .await
        .map_err(|error| Error::Request(format!("keys of {issuer}: {error}")))?;
    Ok(metadata.set_jwks(keys))
}

fn client(
    discovered: &Discovered,
    plan: &ProviderPlan,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
> {
    let redirect = RedirectUrl::new(plan.redirect_url.clone())
        .map_err(|error| Error::Settings(format!("redirect_url: {error}")))?;
    Ok(CoreClient::from_provider_metadata(
        discovered.clone(),
        ClientId::new(plan.client_id.clone()),
        Some(ClientSecret::new(plan.secret.clone())),
    )
    .set_redirect_uri(redirect))
}

pub(crate) fn authorization_url(
    discovered: &Discovered,
    plan: &ProviderPlan,
    state: &str,
    nonce: &str,
    pkce_verifier: &str,
) -> Result<String> {
    let client = client(discovered, plan)?;
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(pkce_verifier.into()));
    let (state, nonce) = (state.to_owned(), nonce.to_owned());
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        )
        .set_pkce_challenge(challenge)
        // As the original: the provider asks every time, so that a shared browser does not
        // sign the next person in silently.
        .add_extra_param("prompt", "consent");
    for scope in plan.scopes.iter().filter(|scope| *scope != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    if plan.form_post {
        request = request.add_extra_param("response_mode", "form_post");
    }
    Ok(request.url().0.to_string())
}

pub(crate) async fn finish(
    http: &reqwest::Client,
    discovered: &Discovered,
    plan: &ProviderPlan,
    any_microsoft_directory: bool,
    callback: Callback<'_>,
) -> Result<ProviderUser> {
    let client = client(discovered, plan)?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(callback.code.to_owned()))
        .map_err(|error| Error::Settings(error.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(callback.pkce_verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(|error| Error::Exchange(error.to_string()))?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| Error::IdToken("the provider sent none".to_owned()))?;
    let verifier = client
        .id_token_verifier()
        .require_issuer_match(!any_microsoft_directory);
    let claims = id_token
        .claims(&verifier, &Nonce::new(callback.nonce.to_owned()))
        .map_err(|error| Error::IdToken(error.to_string()))?;
    if any_microsoft_directory && !microsoft_issuer(claims.issuer().as_str()) {
        return Err(Error::IdToken(format!(
            "issuer {} is not a Microsoft directory",
            claims.issuer().as_str()
        )));
    }
    let subject = claims.subject().to_string();
    // The token verified above; its payload is read again for claims whose providers send
    // them in shapes the typed claims drop (Apple's "true" strings, Microsoft's `upn`).
    let raw = payload(&id_token.to_string())?;
    let mut who = if any_microsoft_directory {
        microsoft_user(&raw)
    } else {
        standard_user(&raw)
    };
    if who.is_none() {
        // Providers may leave the address out of the ID token and give it by the user API.
        let access = tokens.access_token().clone();
        if let Ok(request) = client.user_info(access, Some(claims.subject().clone())) {
            let info: openidconnect::core::CoreUserInfoClaims =
                request
                    .request_async(http)
                    .await
                    .map_err(|error| Error::Request(format!("userinfo: {error}")))?;
            who = info
                .email()
                .map(|email| (email.to_string(), info.email_verified().unwrap_or(false)));
        }
    }
    let (email, email_verified) = who.ok_or(Error::NoEmail)?;
    Ok(ProviderUser {
        provider: plan.name.clone(),
        subject,
        email,
        email_verified,
    })
}

/// The claims of a compact JWS, unverified: call only for a token that was verified.
fn payload(token: &str) -> Result<Value> {
    let part = token
        .split('.')
        .nth(1)
        .ok_or_else(|| Error::IdToken("not a compact JWS".to_owned()))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Error::IdToken("payload is not base64url".to_owned()))?;
    serde_json::from_slice(&bytes).map_err(|_| Error::IdToken("payload is not JSON".to_owned()))
}

/// A boolean claim as providers send it: `true`, or Apple's `"true"`, or Microsoft's `"1"`.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true") || text == "1",
        _ => false,
    }
}

fn standard_user(claims: &Value) -> Option<(String, bool)> {
    let email = claims.get("email")?.as_str()?.to_owned();
    Some((email, truthy(claims.get("email_verified"))))
}

/// Microsoft: a `upn` that is an address is the directory's own and counts as proven;
/// otherwise `email`, proven unless `xms_edov` says the domain owner did not prove it.
fn microsoft_user(claims: &Value) -> Option<(String, bool)> {
    if let Some(upn) = claims.get("upn").and_then(Value::as_str)
        && upn.contains('@')
    {
        return Some((upn.to_owned(), true));
    }
    let email = claims.get("email")?.as_str()?.to_owned();
    let verified = claims.get("xms_edov").is_none() || truthy(claims.get("xms_edov"));
    Some((email, verified))
}

/// `https://login.microsoftonline.com/{directory}/v2.0`, as the original checks it.
fn microsoft_issuer(issuer: &str) -> bool {
    let Some(rest) = issuer.strip_prefix("https://login.microsoftonline.com/") else {
        return false;
    };
    let rest = rest.trim_end_matches('/');
    match rest.split_once('/') {
        Some((directory, "v2.0")) => !directory.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn apple_and_microsoft_booleans_read_as_true() {
        assert!(truthy(Some(&json!(true))));
        assert!(truthy(Some(&json!("true"))));
        assert!(truthy(Some(&json!("1"))));
        assert!(!truthy(Some(&json!("false"))));
        assert!(!truthy(None));
    }

    #[test]
    fn the_standard_claims_give_the_address() {
        let apple =
            json!({"sub": "a", "email": "a@privaterelay.appleid.com", "email_verified": "true"});
        assert_eq!(
            standard_user(&apple),
            Some(("a@privaterelay.appleid.com".into(), true))
        );
        assert_eq!(standard_user(&json!({"sub": "a"})), None);
    }

    #[test]
    fn microsoft_prefers_an_address_upn() {
        let upn = json!({"upn": "ann@contoso.example", "email": "other@example.test"});
        assert_eq!(
            microsoft_user(&upn),
            Some(("ann@contoso.example".into(), true))
        );
        let unproven = json!({"email": "ann@example.test", "xms_edov": false});
        assert_eq!(
            microsoft_user(&unproven),
            Some(("ann@example.test".into(), false))
        );
        let plain = json!({"email": "ann@example.test"});
        assert_eq!(
            microsoft_user(&plain),
            Some(("ann@example.test".into(), true))
        );
    }

    #[test]
    fn microsoft_issuers_name_a_directory() {
        assert!(microsoft_issuer(
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
        ));
        assert!(!microsoft_issuer("https://login.microsoftonline.com//v2.0"));
        assert!(!microsoft_issuer(
            "https://login.microsoftonline.com.evil/x/v2.0"
        ));
        assert!(!microsoft_issuer("https://evil.example/x/v2.0"));
    }
}
