//! Who may use the console, and proof that a form came from the console's own page.
//!
//! A session is a cookie the server signs (HMAC-SHA256 under a key derived from the master key
//! and the admin token): an id and an expiry, nothing kept server-side, so it reaches every
//! instance, a new admin token ends every session, and logging out removes the cookie. With an admin token configured, a session is issued only for
//! the token, entered once on the login page; without one (the admin listener is on loopback)
//! every visitor gets one at once.
//!
//! Every form carries a CSRF token derived from the session id, and a request that changes
//! something must come from the console's own origin (`Sec-Fetch-Site`, `Origin`): a page on
//! another site can neither read the token nor make the browser send the cookie
//! (`SameSite=Strict`). The login form is only origin-checked: it has no session yet, and a
//! forged login would need the token anyway.

use std::fmt;

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use axum::extract::{Request, State};
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::Store;
use maud::html;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::error::ConsoleError;
use super::form::Form;
use super::page;
use crate::admin::AdminState;
use crate::admin::auth::BearerToken;

/// The cookie's name; its path is `/console`, so the admin API never sees it.
const COOKIE_NAME: &str = "latchkey_console";
/// How long a session lasts before the token must be entered again.
const LIFETIME: Duration = Duration::hours(12);

/// The console's signing key and the admin token it checks.
pub(in crate::admin) struct Sessions {
    key: hmac::Key,
    token: BearerToken,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// The request's session: what a page needs to build its forms.
#[derive(Clone)]
pub(super) struct Session {
    /// The form field every state-changing request must echo.
    pub(super) csrf: String,
    /// Whether the console needs the admin token (and so shows a log-out button).
    pub(super) token_required: bool,
    /// A new session's cookie, set on the response.
    new_cookie: Option<HeaderValue>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions signed under `key` (the engine's [`console_session_key`]) bound to `token`.
    ///
    /// [`console_session_key`]: latchkey_engine::Engine::console_session_key
    pub(in crate::admin) fn new(key: [u8; 32], token: BearerToken) -> Self {
        let bound = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, &key),
            token.fingerprint(),
        );
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, bound.as_ref()),
            token,
        }
    }

    /// The session the request's cookie proves, if it is genuine and unexpired.
    fn recognise(&self, headers: &HeaderMap, now: OffsetDateTime) -> Option<Session> {
        let value = cookie(headers, COOKIE_NAME)?;
        let (claims, mac) = value.rsplit_once('.')?;
        let (id, expiry) = claims.split_once('.')?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        hmac::verify(&self.key, claims.as_bytes(), &mac).ok()?;
        let expiry: i64 = expiry.parse().ok()?;
        (now.unix_timestamp() < expiry).then(|| self.session(id, None))
    }

    /// A new session with the cookie that carries it.
    fn issue(&self, now: OffsetDateTime) -> Result<Session, ConsoleError> {
        let mut id = [0u8; 16];
        SystemRandom::new()
            .fill(&mut id)
            .map_err(|_| ConsoleError::internal("the random source failed"))?;
        let id = URL_SAFE_NO_PAD.encode(id);
        let expiry = (now + LIFETIME).unix_timestamp();
        let claims = format!("{id}.{expiry}");
        let mac = URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, claims.as_bytes()));
        let cookie = HeaderValue::from_str(&format!(
            "{COOKIE_NAME}={claims}.{mac}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}",
            LIFETIME.whole_seconds()
        ))
        .map_err(|_| ConsoleError::internal("the session cookie is not a header value"))?;
        Ok(self.session(&id, Some(cookie)))
    }

    fn session(&self, id: &str, new_cookie: Option<HeaderValue>) -> Session {
        let csrf = hmac::sign(&self.key, format!("csrf.{id}").as_bytes());
        Session {
            csrf: URL_SAFE_NO_PAD.encode(csrf),
            token_required: self.token.is_required(),
            new_cookie,
        }
    }
}

impl Session {
    /// Whether `presented` is this session's CSRF token.
    pub(super) fn accepts_csrf(&self, presented: &str) -> bool {
        verify_slices_are_equal(self.csrf.as_bytes(), presented.as_bytes()).is_ok()
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// Whether a request that changes something comes from the console's own pages: browsers say
/// where a request comes from in `Sec-Fetch-Site` and, for posts, `Origin`; a client that sends
/// neither (curl, an old browser) still needs the session's CSRF token.
///
/// A browser that sends `Sec-Fetch-Site` is believed on it alone: under the pages'
/// `Referrer-Policy: no-referrer` it sends `Origin: null` even for the console's own forms.
/// `Origin` decides only for browsers too old to send `Sec-Fetch-Site`.
fn from_own_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site == "same-origin" || site == "none";
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Some(host) = headers.get(HOST).and_then(|host| host.to_str().ok()) else {
        return false;
    };
    origin
        .to_str()
        .ok()
        .and_then(|origin| origin.split_once("://"))
        .is_some_and(|(scheme, authority)| {
            (scheme == "http" || scheme == "https") && authority.eq_ignore_ascii_case(host)
        })
}

fn is_safe(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// Middleware of every console page but the login page and the assets: a session, or the login
/// page; for a post, the console's own origin.
pub(super) async fn guard<S: Store>(
    State(state): State<AdminState<S>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !is_safe(request.method()) && !from_own_origin(request.headers()) {
        tracing::warn!(path = %request.uri().path(), "console: cross-site request refused");
        return ConsoleError::cross_site().into_response();
    }
    let now = state.engine.now();
    let session = match state.console.recognise(request.headers(), now) {
        Some(session) => session,
        None if !state.console.token.is_required() => match state.console.issue(now) {
            Ok(session) => session,
            Err(error) => return error.into_response(),
        },
        None if is_safe(request.method()) => {
            return Redirect::to("/console/login").into_response();
        }
        None => return ConsoleError::session_expired().into_response(),
    };
    let new_cookie = session.new_cookie.clone();
    request.extensions_mut().insert(session);
    let mut response = next.run(request).await;
    if let Some(cookie) = new_cookie {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// `GET /console/login`.
pub(super) async fn login_page<S: Store>(State(state): State<AdminState<S>>) -> Response {
    if !state.console.token.is_required() {
        return Redirect::to("/console").into_response();
    }
    login_form(StatusCode::OK, None)
}

fn login_form(status: StatusCode, problem: Option<&str>) -> Response {
    let body = html! {
        section.narrow {
            h1 { "Sign in to the latchkey console" }
            p { "This admin listener requires the admin token (" code { "admin_token" } " / "
                code { "LATCHKEY_ADMIN_TOKEN" } "). It is kept in a session cookie for 12 hours." }
            @if let Some(problem) = problem {
                p.notice.error role="alert" { (problem) }
            }
            form method="post" action="/console/login" {
                label for="token" { "Admin token" }
                input #token type="password" name="token" autocomplete="current-password" required autofocus;
                button type="submit" { "Sign in" }
            }
        }
    };
    (status, page::bare("Sign in", body)).into_response()
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    token: String,
}

/// `POST /console/login`: the token for a session cookie.
pub(super) async fn login<S: Store>(
    State(state): State<AdminState<S>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    if !from_own_origin(&headers) {
        tracing::warn!("console: cross-site sign-in refused");
        return ConsoleError::cross_site().into_response();
    }
    if !state.console.token.accepts(&form.token) {
        tracing::warn!("console: sign-in with a wrong admin token");
        return login_form(
            StatusCode::UNAUTHORIZED,
            Some("That is not the admin token."),
        );
    }
    match state.console.issue(state.engine.now()) {
        Ok(session) => {
            let mut response = Redirect::to("/console").into_response();
            if let Some(cookie) = session.new_cookie {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
            response
        }
        Err(error) => error.into_response(),
    }
}

/// The form of `POST /console/logout`: only its CSRF token.
#[derive(Deserialize)]
pub(super) struct NoFields {}

/// `POST /console/logout`: forgets the cookie.
pub(super) async fn logout(Form(NoFields {}, _): Form<NoFields>) -> Response {
    let mut response = Redirect::to("/console/login").into_response();
    response.headers_mut().append(
        SET_COOKIE,
        HeaderValue::from_static(
            "latchkey_console=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(token: Option<&str>) -> Sessions {
        let mut key = [0u8; 32];
        SystemRandom::new().fill(&mut key).unwrap();
        Sessions::new(key, BearerToken::new(token))
    }

    fn with_cookie(cookie: &HeaderValue) -> HeaderMap {
        let pair = cookie
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&pair).unwrap());
        headers
    }

    #[test]
    fn an_issued_session_is_recognised_until_it_expires() {
        let sessions = sessions(Some("token"));
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let issued = sessions.issue(now).unwrap();
        let headers = with_cookie(issued.new_cookie.as_ref().unwrap());
        let found = sessions
            .recognise(&headers, now + Duration::hours(11))
            .unwrap();
        assert_eq!(found.csrf, issued.csrf);
        assert!(found.accepts_csrf(&issued.csrf));
        assert!(sessions.recognise(&headers, now + LIFETIME).is_none());
    }

    #[test]
    fn a_tampered_or_foreign_cookie_is_no_session() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let ours = sessions(None);
        let theirs = sessions(None);
        let cookie = theirs.issue(now).unwrap().new_cookie.unwrap();
        assert!(ours.recognise(&with_cookie(&cookie), now).is_none());

        let key = [7u8; 32];
        let before = Sessions::new(key, BearerToken::new(Some("old token")));
        let after = Sessions::new(key, BearerToken::new(Some("new token")));
        let cookie = before.issue(now).unwrap().new_cookie.unwrap();
        assert!(before.recognise(&with_cookie(&cookie), now).is_some());
        assert!(after.recognise(&with_cookie(&cookie), now).is_none());

        let cookie = ours.issue(now).unwrap().new_cookie.unwrap();
        let text = cookie.to_str().unwrap().split(';').next().unwrap();
        let (claims, mac) = text.rsplit_once('.').unwrap();
        let (id, _) = claims.split_once('.').unwrap();
        let longer = format!("{id}.{}.{mac}", i64::MAX);
        let forged = HeaderValue::from_str(&longer).unwrap();
        assert!(ours.recognise(&with_cookie(&forged), now).is_none());
    }

    #[test]
    fn csrf_tokens_differ_between_sessions() {
        let sessions = sessions(None);
        let now = OffsetDateTime::UNIX_EPOCH;
        let one = sessions.issue(now).unwrap();
        let two = sessions.issue(now).unwrap();
        assert_ne!(one.csrf, two.csrf);
        assert!(!one.accepts_csrf(&two.csrf));
        assert!(!one.accepts_csrf(""));
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn only_the_consoles_own_origin_may_post() {
        assert!(from_own_origin(&headers(&[])));
        assert!(from_own_origin(&headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:8001"),
            ("host", "127.0.0.1:8001"),
        ])));
        assert!(!from_own_origin(&headers(&[(
            "sec-fetch-site",
            "cross-site"
        )])));
        assert!(!from_own_origin(&headers(&[(
            "sec-fetch-site",
            "same-site"
        )])));
        assert!(!from_own_origin(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:8001"),
        ])));
        assert!(!from_own_origin(&headers(&[
            ("origin", "null"),
            ("host", "127.0.0.1:8001")
        ])));
        assert!(!from_own_origin(&headers(&[(
            "origin",
            "http://127.0.0.1:8001"
        )])));
        // Chromium's own-form post under `Referrer-Policy: no-referrer`.
        assert!(from_own_origin(&headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "null"),
            ("host", "127.0.0.1:8001"),
        ])));
        assert!(!from_own_origin(&headers(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://127.0.0.1:8001"),
            ("host", "127.0.0.1:8001"),
        ])));
    }
}
