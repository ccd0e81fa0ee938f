//! `/thirdparty/auth`, `/thirdparty/callback` and `/token`: sign-in through an OAuth 2.0 or
//! OpenID Connect provider, by redirects as the original makes them. The engine decides (state,
//! allow-list, linking, tokens); the federation crate talks to the provider; this module only
//! turns both into redirects, cookies and the `/token` answer.

use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::header::{LOCATION, REFERER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_engine::{Engine, Store};
use latchkey_federation::{Callback, Federation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{Endpoint, ErrorBody, PublicError, federation_refusal, public_error, refusal};
use super::gate::AccountsTenant;
use super::session::{
    THIRD_PARTY_STATE_COOKIE, cookie, deliver_limited, forget_state, remember_state,
};
use crate::http::json::{ValidJson, null_as_empty};
use crate::http::meta::Meta;
use crate::http::validate::{Validate, Violations};

/// The first value of each parameter of a query or form.
pub(super) fn parameter(pairs: &str, name: &str) -> String {
    form_urlencoded::parse(pairs.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// `base` with `pairs` added to its query.
pub(super) fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        query.append_pair(key, value);
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{}", query.finish())
}

pub(super) fn redirect(status: StatusCode, location: &str) -> Response {
    let mut response = status.into_response();
    match HeaderValue::from_str(location) {
        Ok(location) => {
            response.headers_mut().insert(LOCATION, location);
            response
        }
        Err(_) => PublicError::internal().into_response(),
    }
}

/// An error redirect: `error` and `error_description` added to `target`.
fn refused(target: &str, (code, description): (&str, String)) -> Response {
    redirect(
        StatusCode::TEMPORARY_REDIRECT,
        &with_query(
            target,
            &[("error", code), ("error_description", &description)],
        ),
    )
}

/// GET `/thirdparty/auth?provider=&redirect_to=`: 307 to the provider with the state in the
/// query and in a cookie; errors 307 back to the page (`Referer`) or the error page.
#[utoipa::path(
    get,
    path = "/{tenant_id}/thirdparty/auth",
    operation_id = "thirdparty_auth",
    tag = "third_party",
    summary = "Start a third-party sign-in",
    description = "A browser navigation, answered by a redirect in every case: to the provider's authorization endpoint, or with `error` and `error_description` back to the page (`Referer`) or to `third_party.error_redirect_url`.",
    params(
        ("provider" = Option<String>, Query, description = "The provider: `google`, `github`, `apple`, `discord`, `microsoft`, `linkedin` or `custom_<key>`."),
        ("redirect_to" = Option<String>, Query, description = "The page to return to; must match `third_party.allowed_redirect_urls`."),
        ("Referer" = Option<String>, Header, description = "Where errors are sent, before `third_party.error_redirect_url`."),
    ),
    responses(
        (status = 307, description = "To the provider, with the state cookie set; or, when the sign-in cannot start, to the error page with `error` and `error_description` in the query.", headers(
            ("Location" = String, description = "The provider's authorization URL, or the error page."),
            ("Set-Cookie" = String, description = "`hanko_thirdparty_state`, the sealed state, on the way to the provider."),
        )),
    ),
)]
pub async fn auth<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    federation: axum::Extension<Arc<Federation>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let error_target = headers
        .get(REFERER)
        .and_then(|referer| referer.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| tenant.config().third_party.error_redirect_url.clone());
    let provider = parameter(&query, "provider");
    let redirect_to = parameter(&query, "redirect_to");
    let mut violations = Violations::default();
    violations.required("provider", &provider);
    violations.required("redirect_to", &redirect_to);
    if let Err(message) = violations.finish() {
        return refused(&error_target, ("invalid_request", message));
    }
    let start = match engine
        .start_third_party(tenant.id(), &provider, &redirect_to)
        .await
    {
        Ok(start) => start,
        Err(error) => return refused(&error_target, refusal(error)),
    };
    let url = federation
        .authorization_url(
            &start.plan,
            &start.sealed,
            &start.state.nonce,
            &start.state.pkce_verifier,
        )
        .await;
    match url {
        Ok(url) => {
            let mut response = redirect(StatusCode::TEMPORARY_REDIRECT, &url);
            remember_state(&mut response, &tenant, &start.sealed);
            response
        }
        Err(error) => refused(&error_target, federation_refusal(&error)),
    }
}

/// POST `/thirdparty/callback`: Apple's `form_post`, turned into the GET of the same
/// parameters (303), so that the browser sends the `SameSite=Lax` state cookie with it.
#[utoipa::path(
    post,
    path = "/{tenant_id}/thirdparty/callback",
    operation_id = "thirdparty_callback_post",
    tag = "third_party",
    summary = "A provider's answer by form post",
    description = "Apple's `form_post`: the same parameters are sent on to `GET /thirdparty/callback`, so that the browser sends the `SameSite=Lax` state cookie with them.",
    request_body(content = ref("#/components/schemas/CallbackForm"), content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "To `GET /thirdparty/callback` with the form's fields as the query.", headers(
            ("Location" = String, description = "This path with the form's fields as its query."),
        )),
    ),
)]
pub async fn callback_post(OriginalUri(uri): OriginalUri, body: String) -> Response {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in &pairs {
        query.append_pair(key, value);
    }
    redirect(
        StatusCode::SEE_OTHER,
        &format!("{}?{}", uri.path(), query.finish()),
    )
}

/// GET `/thirdparty/callback`: the provider's answer. 307 to the state's page with
/// `hanko_token`; errors 307 to the tenant's error page with `error` and `error_description`.
#[utoipa::path(
    get,
    path = "/{tenant_id}/thirdparty/callback",
    operation_id = "thirdparty_callback",
    tag = "third_party",
    summary = "A provider's answer",
    description = "The provider's redirect back. Answered by a redirect in every case: to the page of the sign-in's state with a one-time `hanko_token` (exchanged at `POST /token`), or to `third_party.error_redirect_url` with `error` and `error_description`.",
    params(
        ("state" = Option<String>, Query, description = "The sealed state `GET /thirdparty/auth` sent to the provider."),
        ("code" = Option<String>, Query, description = "The provider's authorization code."),
        ("error" = Option<String>, Query, description = "The provider's error, instead of a code."),
        ("error_description" = Option<String>, Query, description = "The provider's words for it."),
        ("hanko_thirdparty_state" = Option<String>, Cookie, description = "The state cookie; must hold the same state."),
    ),
    responses(
        (status = 307, description = "Signed in: to the state's page with `hanko_token`; refused: to the error page with `error` and `error_description`.", headers(
            ("Location" = String, description = "The page with `hanko_token`, or the error page."),
            ("Set-Cookie" = String, description = "`hanko_thirdparty_state`, expired: a state serves one callback."),
        )),
    ),
)]
pub async fn callback<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    federation: axum::Extension<Arc<Federation>>,
    Meta(meta): Meta,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let error_target = tenant.config().third_party.error_redirect_url.clone();
    let fail = |reason: (&str, String)| {
        let mut response = refused(&error_target, reason);
        forget_state(&mut response, &tenant);
        response
    };
    let state = parameter(&query, "state");
    if state.is_empty() {
        return fail(("invalid_request", "state is a required field".to_owned()));
    }
    let presented = cookie(&headers, THIRD_PARTY_STATE_COOKIE);
    let (state, plan) = match engine
        .resume_third_party(tenant.id(), &state, presented, &meta)
        .await
    {
        Ok(resumed) => resumed,
        Err(error) => return fail(refusal(error)),
    };
    let provider_error = parameter(&query, "error");
    if !provider_error.is_empty() {
        let description = parameter(&query, "error_description");
        engine
            .record_third_party_failure(
                tenant.id(),
                &format!("the provider answered {provider_error}: {description}"),
                &meta,
            )
            .await;
        return fail((provider_error.as_str(), description));
    }
    let code = parameter(&query, "code");
    if code.is_empty() {
        return fail((
            "invalid_request",
            "auth code missing from request".to_owned(),
        ));
    }
    let who = federation
        .finish(
            &plan,
            Callback {
                code: &code,
                nonce: &state.nonce,
                pkce_verifier: &state.pkce_verifier,
            },
        )
        .await;
    let who = match who {
        Ok(who) => who,
        Err(error) => {
            engine
                .record_third_party_failure(tenant.id(), &error.to_string(), &meta)
                .await;
            return fail(federation_refusal(&error));
        }
    };
    match engine
        .third_party_login(tenant.id(), &who, plan.allow_linking, &meta)
        .await
    {
        Ok(login) => {
            let target = with_query(&state.redirect_to, &[("hanko_token", &login.token)]);
            let mut response = redirect(StatusCode::TEMPORARY_REDIRECT, &target);
            forget_state(&mut response, &tenant);
            response
        }
        Err(error) => fail(refusal(error)),
    }
}

/// `{"value"}` of `POST /token`.
#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    /// The `hanko_token` of a sign-in's redirect.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(min_length = 1)]
    value: String,
}

/// The token stays out of `Debug` and so of logs.
impl std::fmt::Debug for TokenBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenBody").finish_non_exhaustive()
    }
}

impl Validate for TokenBody {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        violations.required("value", &self.value);
        violations.finish()
    }
}

/// `{"user_id"}` of `POST /token`.
#[derive(Serialize, ToSchema)]
pub struct Exchanged {
    user_id: Uuid,
}

/// POST `/token`: a login answer with `{"user_id"}`.
#[utoipa::path(
    post,
    path = "/{tenant_id}/token",
    tag = "third_party",
    summary = "Exchange a one-time token for a session",
    description = "The `hanko_token` of a third-party or SAML sign-in, once, within a minute.",
    request_body(content = TokenBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Logged in.", body = Exchanged, headers(
            ("X-Session-Lifetime" = u64, description = "Seconds the session lasts."),
            ("X-Auth-Token" = String, description = "The session token, where `session.enable_auth_token_header` is on."),
            ("Set-Cookie" = String, description = "The session cookie, where `session.enable_auth_token_header` is off."),
            ("X-RateLimit-Limit" = u32, description = "With `rate_limiter.enabled`: the budget."),
            ("X-RateLimit-Remaining" = u32, description = "What is left of it."),
            ("X-RateLimit-Reset" = u64, description = "Seconds until it is whole again."),
        )),
        (status = 400, description = "The body is not a JSON object of this shape, or `value` is missing.", body = ErrorBody),
        (status = 404, description = "No such token (or it was used).", body = ErrorBody),
        (status = 413, description = "The body is larger than 64 KiB.", body = ErrorBody),
        (status = 422, description = "The token has expired.", body = ErrorBody),
        (status = 429, description = "`rate_limiter.token_limits` is spent for the client address.", body = ErrorBody, headers(
            ("Retry-After" = u64, description = "Seconds until a token may be exchanged again."),
            ("X-RateLimit-Limit" = u32), ("X-RateLimit-Remaining" = u32), ("X-RateLimit-Reset" = u64),
        )),
    ),
)]
pub async fn exchange<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    Meta(meta): Meta,
    ValidJson(body, _): ValidJson<TokenBody, PublicError>,
) -> Result<Response, PublicError> {
    let limited = engine
        .exchange_one_time_token(tenant.id(), &body.value, &meta)
        .await;
    let session = limited
        .outcome
        .map_err(|error| public_error(Endpoint::Token, error).with_budget(limited.budget))?;
    let body = Json(Exchanged {
        user_id: session.user.0,
    })
    .into_response();
    Ok(deliver_limited(
        body,
        &tenant,
        &session,
        limited.budget.as_ref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_added_to_any_url() {
        assert_eq!(
            with_query("https://app.example/a", &[("hanko_token", "x=y")]),
            "https://app.example/a?hanko_token=x%3Dy"
        );
        assert_eq!(
            with_query("https://app.example/a?b=1", &[("error", "user_conflict")]),
            "https://app.example/a?b=1&error=user_conflict"
        );
    }

    #[test]
    fn the_first_value_of_a_parameter_counts() {
        assert_eq!(parameter("a=1&a=2&b=x%20y", "a"), "1");
        assert_eq!(parameter("a=1&a=2&b=x%20y", "b"), "x y");
        assert_eq!(parameter("", "a"), "");
    }
}
