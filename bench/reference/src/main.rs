//! The benchmark's yardstick: webauthn-rs 0.6 behind axum, everything in memory, the token-signing key
//! made once at start. It speaks the part of the Hanko passkey-server API the load generator drives
//! (registration and login for a named user, the JWKS) and signs an RS256-2048 JWT per ceremony, as
//! latchkey does, so the same load generator measures both. Not a server for anything else: no
//! persistence, no audit, no tenants (any tenant id in the path is this one server).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

#[derive(Debug, Parser)]
#[command(about)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    #[arg(long, default_value = "localhost")]
    rp_id: String,
    #[arg(long, default_value = "http://localhost:8080")]
    origin: String,
    /// The key the initialize endpoints require in the `apiKey` header.
    #[arg(long, env = "REFERENCE_API_KEY")]
    api_key: String,
}

struct User {
    handle: Uuid,
    passkeys: Vec<Passkey>,
}

/// Ceremonies waiting for their finalize, by challenge (the finalize request carries nothing else that
/// names them).
#[derive(Default)]
struct Pending {
    registrations: HashMap<String, (String, PasskeyRegistration)>,
    logins: HashMap<String, (String, PasskeyAuthentication)>,
}

struct App {
    webauthn: Webauthn,
    rp_id: String,
    api_key: String,
    signing_key: PKey<Private>,
    kid: String,
    jwks: String,
    users: Mutex<HashMap<String, User>>,
    pending: Mutex<Pending>,
}

type Shared = Arc<App>;

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An error in the Hanko dialect's shape.
fn error(status: StatusCode, title: &str) -> Response {
    let body = json!({"title": title, "details": title, "status": status.as_u16()});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn json_ok(body: &Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn options_response(options: &impl serde::Serialize) -> Response {
    match serde_json::to_value(options) {
        Ok(options) => json_ok(&options),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "failed to encode options",
        ),
    }
}

/// Takes the ceremony a finalize answers, by the challenge in its clientDataJSON: once only.
fn take<S>(
    pending: &Mutex<Pending>,
    map: fn(&mut Pending) -> &mut HashMap<String, (String, S)>,
    client_data_json: &[u8],
) -> Option<(String, S)> {
    let challenge = serde_json::from_slice::<ClientData>(client_data_json)
        .ok()?
        .challenge;
    map(&mut lock(pending)).remove(&challenge)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn keyed(app: &App, headers: &HeaderMap) -> bool {
    headers.get("apikey").is_some_and(|key| {
        key.len() == app.api_key.len()
            && openssl::memcmp::eq(key.as_bytes(), app.api_key.as_bytes())
    })
}

#[derive(Deserialize)]
struct ClientData {
    challenge: String,
}

#[derive(Deserialize)]
struct RegistrationStart {
    user_id: String,
    username: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct LoginStart {
    user_id: String,
}

/// An RS256 JWT with the claims latchkey issues.
#[expect(
    clippy::disallowed_methods,
    reason = "a binary of its own: the clock is read where it is used"
)]
fn token(app: &App, sub: &str, cred: &[u8]) -> Result<String, openssl::error::ErrorStack> {
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": app.kid});
    let claims =
        json!({"sub": sub, "aud": [app.rp_id], "iat": iat, "exp": iat + 300, "cred": b64url(cred)});
    let signed = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let mut signer = Signer::new(MessageDigest::sha256(), &app.signing_key)?;
    let signature = signer.sign_oneshot_to_vec(signed.as_bytes())?;
    Ok(format!("{signed}.{}", b64url(&signature)))
}

fn token_response(app: &App, sub: &str, cred: &[u8]) -> Response {
    match token(app, sub, cred) {
        Ok(token) => json_ok(&json!({"token": token})),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "failed to sign token"),
    }
}

async fn registration_initialize(
    State(app): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !keyed(&app, &headers) {
        return error(StatusCode::UNAUTHORIZED, "The api key is invalid");
    }
    let Ok(start) = serde_json::from_slice::<RegistrationStart>(&body) else {
        return error(StatusCode::BAD_REQUEST, "unable to process request");
    };
    let handle = lock(&app.users)
        .entry(start.user_id.clone())
        .or_insert_with(|| User {
            handle: Uuid::new_v4(),
            passkeys: Vec::new(),
        })
        .handle;
    let display = start.display_name.as_deref().unwrap_or(&start.username);
    let Ok((options, state)) =
        app.webauthn
            .start_passkey_registration(handle, &start.username, display, None)
    else {
        return error(StatusCode::BAD_REQUEST, "failed to create webauthn options");
    };
    let challenge = b64url(options.public_key.challenge.as_ref());
    lock(&app.pending)
        .registrations
        .insert(challenge, (start.user_id, state));
    options_response(&options)
}

async fn registration_finalize(State(app): State<Shared>, body: Bytes) -> Response {
    let Ok(credential) = serde_json::from_slice::<RegisterPublicKeyCredential>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "unable to parse credential creation response",
        );
    };
    let pending = take(
        &app.pending,
        |p| &mut p.registrations,
        &credential.response.client_data_json,
    );
    let Some((user_id, state)) = pending else {
        return error(
            StatusCode::BAD_REQUEST,
            "Stored challenge and received challenge do not match",
        );
    };
    let Ok(passkey) = app
        .webauthn
        .finish_passkey_registration(&credential, &state)
    else {
        return error(StatusCode::BAD_REQUEST, "failed to validate attestation");
    };
    let cred = passkey.cred_id().clone();
    if let Some(user) = lock(&app.users).get_mut(&user_id) {
        user.passkeys.push(passkey);
    }
    token_response(&app, &user_id, &cred)
}

async fn login_initialize(State(app): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !keyed(&app, &headers) {
        return error(StatusCode::UNAUTHORIZED, "The api key is invalid");
    }
    let Ok(start) = serde_json::from_slice::<LoginStart>(&body) else {
        return error(StatusCode::BAD_REQUEST, "unable to process request");
    };
    let passkeys = lock(&app.users)
        .get(&start.user_id)
        .map(|user| user.passkeys.clone())
        .unwrap_or_default();
    if passkeys.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "user has no suitable credentials for this operation",
        );
    }
    let Ok((options, state)) = app.webauthn.start_passkey_authentication(&passkeys) else {
        return error(StatusCode::BAD_REQUEST, "failed to create webauthn options");
    };
    let challenge = b64url(options.public_key.challenge.as_ref());
    lock(&app.pending)
        .logins
        .insert(challenge, (start.user_id, state));
    options_response(&options)
}

async fn login_finalize(State(app): State<Shared>, body: Bytes) -> Response {
    let Ok(credential) = serde_json::from_slice::<PublicKeyCredential>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "unable to parse credential request response",
        );
    };
    let pending = take(
        &app.pending,
        |p| &mut p.logins,
        &credential.response.client_data_json,
    );
    let Some((user_id, state)) = pending else {
        return error(
            StatusCode::UNAUTHORIZED,
            "Stored challenge and received challenge do not match",
        );
    };
    let Ok(result) = app
        .webauthn
        .finish_passkey_authentication(&credential, &state)
    else {
        return error(StatusCode::UNAUTHORIZED, "failed to validate assertion");
    };
    if let Some(user) = lock(&app.users).get_mut(&user_id) {
        for passkey in &mut user.passkeys {
            passkey.update_credential(&result);
        }
    }
    token_response(&app, &user_id, result.cred_id())
}

async fn jwks(State(app): State<Shared>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        app.jwks.clone(),
    )
        .into_response()
}

fn app(args: &Args) -> Result<App, Box<dyn std::error::Error>> {
    let origin = Url::parse(&args.origin)?;
    let webauthn = WebauthnBuilder::new(&args.rp_id, &origin)?.build()?;
    let rsa = Rsa::generate(2048)?;
    let kid = Uuid::new_v4().to_string();
    let jwks = json!({"keys": [{
        "alg": "RS256", "kty": "RSA", "use": "sig", "kid": kid,
        "n": b64url(&rsa.n().to_vec()), "e": b64url(&rsa.e().to_vec()),
    }]});
    Ok(App {
        webauthn,
        rp_id: args.rp_id.clone(),
        api_key: args.api_key.clone(),
        signing_key: PKey::from_rsa(rsa)?,
        kid,
        jwks: jwks.to_string(),
        users: Mutex::new(HashMap::new()),
        pending: Mutex::new(Pending::default()),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let shared: Shared = Arc::new(app(&args)?);
    let router = Router::new()
        .route("/{tenant}/.well-known/jwks.json", get(jwks))
        .route(
            "/{tenant}/registration/initialize",
            post(registration_initialize),
        )
        .route(
            "/{tenant}/registration/finalize",
            post(registration_finalize),
        )
        .route("/{tenant}/login/initialize", post(login_initialize))
        .route("/{tenant}/login/finalize", post(login_finalize))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    eprintln!("reference: listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}
