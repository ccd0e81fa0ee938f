//! Sessions on the wire: the token is read from `Authorization: Bearer` first, then from the
//! tenant's session cookie; a login answers with `X-Session-Lifetime` and either
//! `X-Auth-Token` or the cookie, never both, as the original.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use latchkey_engine::accounts::{IssuedSession, SessionUser};
use latchkey_engine::model::hanko_public::CookieSettings;
use latchkey_engine::{Engine, Store};

use latchkey_engine::rate_limit::Budget;

use super::error::{PublicError, add_budget_headers};
use super::gate::AccountsTenant;

const SESSION_LIFETIME: HeaderName = HeaderName::from_static("x-session-lifetime");
const AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
/// The cookie carrying a started third-party sign-in's sealed state.
pub const THIRD_PARTY_STATE_COOKIE: &str = "hanko_thirdparty_state";
/// Seconds the state cookie lives: the state's own lifetime.
const THIRD_PARTY_STATE_MAX_AGE: u64 = 300;
/// The cookie naming the address a sign-up in this browser used.
pub const SIGNUP_EMAIL_COOKIE: &str = "hanko_email_id";

/// The user of the request's valid session; 401 without one.
#[derive(Debug, Clone, Copy)]
pub struct Session(pub SessionUser);

/// The user of the request's session, if it has a valid one.
#[derive(Debug, Clone, Copy)]
pub struct MaybeSession(pub Option<SessionUser>);

impl<S: Store> FromRequestParts<Arc<Engine<S>>> for Session {
    type Rejection = PublicError;

    async fn from_request_parts(
        parts: &mut Parts,
        engine: &Arc<Engine<S>>,
    ) -> Result<Self, Self::Rejection> {
        let MaybeSession(session) = MaybeSession::from_request_parts(parts, engine).await?;
        session.map(Self).ok_or_else(PublicError::unauthorized)
    }
}

impl<S: Store> FromRequestParts<Arc<Engine<S>>> for MaybeSession {
    type Rejection = PublicError;

    async fn from_request_parts(
        parts: &mut Parts,
        engine: &Arc<Engine<S>>,
    ) -> Result<Self, Self::Rejection> {
        let tenant = AccountsTenant::from_request_parts(parts, engine).await?;
        let Some(token) = presented_token(&parts.headers, &tenant.config().session.cookie.name)
        else {
            return Ok(Self(None));
        };
        Ok(Self(engine.verify_session(tenant.id(), token).await.ok()))
    }
}

/// The token of `Authorization: Bearer`, else of the session cookie.
fn presented_token<'a>(headers: &'a HeaderMap, cookie_name: &str) -> Option<&'a str> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        })
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    bearer.or_else(|| cookie(headers, cookie_name))
}

/// The value of the request cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// Adds the session to a login's answer.
pub fn deliver(response: &mut Response, tenant: &AccountsTenant, session: &IssuedSession) {
    let settings = &tenant.config().session;
    let headers = response.headers_mut();
    headers.insert(SESSION_LIFETIME, HeaderValue::from(session.lifetime_secs));
    if settings.enable_auth_token_header {
        if let Ok(token) = HeaderValue::from_str(&session.token) {
            headers.insert(AUTH_TOKEN, token);
        }
    } else {
        let cookie = set_cookie(
            &settings.cookie,
            &settings.cookie.name,
            &session.token,
            Some(session.lifetime_secs),
            Some("/"),
            same_site(&settings.cookie.same_site),
        );
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            headers.append(SET_COOKIE, cookie);
        }
    }
}

/// A login's answer that drew on a budget: `body` with the session and the budget's headers.
pub fn deliver_limited(
    mut response: Response,
    tenant: &AccountsTenant,
    session: &IssuedSession,
    budget: Option<&Budget>,
) -> Response {
    deliver(&mut response, tenant, session);
    if let Some(budget) = budget {
        add_budget_headers(&mut response, budget);
    }
    response
}

/// Adds the deletion of the session cookie to an answer (logout, account deletion).
pub fn expire(response: &mut Response, tenant: &AccountsTenant) {
    let settings = &tenant.config().session.cookie;
    let cookie = set_cookie(
        settings,
        &settings.name,
        "",
        Some(0),
        Some("/"),
        same_site(&settings.same_site),
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
}

/// Adds the `hanko_email_id` cookie of a sign-up: a browser session cookie, `SameSite=None`.
pub fn remember_signup_email(response: &mut Response, tenant: &AccountsTenant, email: uuid::Uuid) {
    let settings = &tenant.config().session.cookie;
    let cookie = set_cookie(
        settings,
        SIGNUP_EMAIL_COOKIE,
        &email.hyphenated().to_string(),
        None,
        None,
        Some("None"),
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
}

/// Adds the state cookie of a started third-party sign-in: `SameSite=Lax`, so that the
/// provider's redirect back (a top-level navigation) carries it.
pub fn remember_state(response: &mut Response, tenant: &AccountsTenant, sealed: &str) {
    state_cookie(response, tenant, sealed, THIRD_PARTY_STATE_MAX_AGE);
}

/// Adds the deletion of the state cookie: a sign-in's state serves one callback.
pub fn forget_state(response: &mut Response, tenant: &AccountsTenant) {
    state_cookie(response, tenant, "", 0);
}

fn state_cookie(response: &mut Response, tenant: &AccountsTenant, value: &str, max_age: u64) {
    let settings = &tenant.config().session.cookie;
    let cookie = set_cookie(
        settings,
        THIRD_PARTY_STATE_COOKIE,
        value,
        Some(max_age),
        Some("/"),
        Some("Lax"),
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
}

/// `SameSite` as configured; any other value leaves the attribute out, as Go does.
fn same_site(configured: &str) -> Option<&'static str> {
    match configured.to_ascii_lowercase().as_str() {
        "strict" => Some("Strict"),
        "lax" => Some("Lax"),
        "none" => Some("None"),
        _ => None,
    }
}

/// A `Set-Cookie` value with the attributes in the order Go writes them.
fn set_cookie(
    settings: &CookieSettings,
    name: &str,
    value: &str,
    max_age: Option<u64>,
    path: Option<&str>,
    same_site: Option<&str>,
) -> String {
    let mut cookie = format!("{name}={value}");
    if let Some(path) = path {
        cookie.push_str("; Path=");
        cookie.push_str(path);
    }
    if !settings.domain.is_empty() {
        cookie.push_str("; Domain=");
        cookie.push_str(&settings.domain);
    }
    if let Some(max_age) = max_age {
        cookie.push_str(&format!("; Max-Age={max_age}"));
    }
    if settings.http_only {
        cookie.push_str("; HttpOnly");
    }
    if settings.secure {
        cookie.push_str("; Secure");
    }
    if let Some(same_site) = same_site {
        cookie.push_str("; SameSite=");
        cookie.push_str(same_site);
    }
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_header_comes_before_the_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("a=1; hanko=from-cookie"));
        assert_eq!(presented_token(&headers, "hanko"), Some("from-cookie"));
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Bearer from-header"),
        );
        assert_eq!(presented_token(&headers, "hanko"), Some("from-header"));
        assert_eq!(presented_token(&HeaderMap::new(), "hanko"), None);
    }

    #[test]
    fn cookies_have_gos_attribute_order() {
        let settings = CookieSettings::default();
        assert_eq!(
            set_cookie(
                &settings,
                "hanko",
                "t",
                Some(3600),
                Some("/"),
                Some("Strict")
            ),
            "hanko=t; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Strict"
        );
        let settings = CookieSettings {
            domain: "example.com".to_owned(),
            http_only: false,
            secure: false,
            ..CookieSettings::default()
        };
        assert_eq!(
            set_cookie(
                &settings,
                "hanko",
                "",
                Some(0),
                Some("/"),
                same_site("bogus")
            ),
            "hanko=; Path=/; Domain=example.com; Max-Age=0"
        );
    }
}
