//! The demo page of a development instance, on the public listener: a person registers a
//! passkey and logs in with it through the Hanko passkey-server dialect, with the browser's real
//! ceremony.
//!
//! Whether there is one is the command line's decision ([`DemoOptions`]); nothing here guesses.
//! The page calls the dialect's keyless endpoints itself. Registration needs the tenant's API
//! key, which a page must never hold, so its two registration calls come to `/demo/...` and are
//! forwarded in-process to the public app every client reaches, with the key added and the
//! request's connection and headers kept: the dialect's rate limits and audit log see the real
//! client, and the ceremony runs through the dialect's wire API, not around it.

mod page;
#[cfg(test)]
mod tests;

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use latchkey_engine::model::TenantId;
use serde::Deserialize;
use serde_json::json;
use tower::ServiceExt as _;
use uuid::Uuid;

use crate::hanko_passkey::error::ApiError;
use crate::http::json::ValidJson;
use crate::http::validate::{Validate, Violations};

/// Where the page is served.
const PAGE_PATH: &str = "/demo";
/// The header the dialect reads the API key from.
const API_KEY: HeaderName = HeaderName::from_static("apikey");

/// The demo page of a development instance.
#[derive(Clone)]
pub struct DemoOptions {
    /// The tenant the page registers and logs in with.
    pub tenant: TenantId,
    /// An API key of that tenant, for the registration calls; held in memory only.
    pub api_key: String,
    /// The admin console the page points to.
    pub console_url: String,
}

/// The key stays out of `Debug` and so of logs.
impl fmt::Debug for DemoOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoOptions")
            .field("tenant", &self.tenant)
            .field("api_key", &"<redacted>")
            .field("console_url", &self.console_url)
            .finish()
    }
}

/// What the demo routes share: the app they forward to and the page.
struct Demo {
    public: Router,
    tenant: TenantId,
    api_key: String,
    page: String,
}

/// `public` with the demo in front: the page and its assets under `/demo`, the two registration
/// calls, and `/` sent to the page. Everything else, and a wrong method on those paths, is
/// `public`'s as before.
pub fn with_demo(public: Router, demo: DemoOptions) -> Router {
    let state = Arc::new(Demo {
        page: page::render(demo.tenant, &demo.console_url),
        public: public.clone(),
        tenant: demo.tenant,
        api_key: demo.api_key,
    });
    Router::new()
        .route("/", get(|| async { Redirect::to(PAGE_PATH) }))
        .route(PAGE_PATH, get(page::page))
        .route("/demo/demo.js", get(page::script))
        .route("/demo/signal.js", get(page::signal_script))
        .route("/demo/demo.css", get(page::style))
        .route("/demo/registration/initialize", post(initialize))
        .route("/demo/registration/finalize", post(finalize))
        .method_not_allowed_fallback(to_public)
        .with_state(state)
        .fallback_service(public)
}

/// What the page sends to register: a name only; the user's id is made here.
#[derive(Debug, Deserialize)]
struct SignUp {
    #[serde(default)]
    username: String,
}

impl Validate for SignUp {
    fn validate(&self) -> Result<(), String> {
        let mut violations = Violations::default();
        violations.required("username", &self.username);
        violations.finish()
    }
}

/// `registration/initialize` for a new user (a random UUID) named as the page asks; answers the
/// dialect's creation options, or its error.
async fn initialize(
    State(demo): State<Arc<Demo>>,
    mut parts: Parts,
    ValidJson(sign_up, _): ValidJson<SignUp, ApiError>,
) -> Response {
    let body = json!({
        "user_id": Uuid::new_v4().to_string(),
        "username": sign_up.username,
    })
    .to_string();
    parts.headers.remove(TRANSFER_ENCODING);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    demo.forward(parts, "registration/initialize", Body::from(body))
        .await
}

/// `registration/finalize` with the page's body as it came.
async fn finalize(State(demo): State<Arc<Demo>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    demo.forward(parts, "registration/finalize", body).await
}

/// A method the demo paths do not take: answered as the public app answers it.
async fn to_public(State(demo): State<Arc<Demo>>, request: Request) -> Response {
    serve(&demo.public, request).await
}

impl Demo {
    /// Sends the request to the tenant's `endpoint` in the public app, with the API key.
    async fn forward(&self, mut parts: Parts, endpoint: &str, body: Body) -> Response {
        let uri = Uri::try_from(format!("/{}/{endpoint}", self.tenant.0));
        let key = HeaderValue::from_str(&self.api_key);
        let (Ok(uri), Ok(mut key)) = (uri, key) else {
            tracing::error!("the demo page's tenant or API key does not fit a request");
            return ApiError::internal().into_response();
        };
        key.set_sensitive(true);
        parts.uri = uri;
        parts.headers.insert(API_KEY, key);
        serve(&self.public, Request::from_parts(parts, body)).await
    }
}

async fn serve(app: &Router, request: Request) -> Response {
    let answered: Result<Response, Infallible> = app.clone().oneshot(request).await;
    match answered {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
