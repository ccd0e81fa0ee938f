//! `/saml/provider`, `/saml/metadata`, `/saml/auth` and `/saml/callback`: sign-in through a
//! SAML 2.0 identity provider, with the original's answers and redirects. The engine decides
//! (provider by domain, allow-list, state, replay, linking); the `latchkey-saml` crate writes
//! and verifies the SAML; this module only joins them to the wire.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, REFERER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use latchkey_engine::accounts::{SamlAssertion, SamlCredentials, saml_request_id};
use latchkey_engine::model::saml::SamlSettings;
use latchkey_engine::{Engine, Store};
use latchkey_saml::{MetadataCache, ServiceProvider};

use super::error::{ErrorBody, PublicError, refusal};
use super::gate::AccountsTenant;
use super::session::forget_state;
use super::third_party::{parameter, redirect, with_query};
use crate::http::meta::Meta;

/// How long the published service-provider metadata says it is valid, as the original's.
const METADATA_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);

/// The identity provider's metadata cache, shared by every tenant.
pub type Metadata = axum::Extension<Arc<MetadataCache>>;

/// SAML's routes answer only where the tenant enabled SAML, as the original registers them
/// only then.
fn enabled(tenant: &AccountsTenant) -> Result<&SamlSettings, PublicError> {
    let settings = &tenant.config().saml;
    if settings.enabled {
        Ok(settings)
    } else {
        Err(PublicError::not_found())
    }
}

/// The `domain` parameter, required.
fn domain(query: &str) -> Result<String, PublicError> {
    let domain = parameter(query, "domain");
    if domain.is_empty() {
        return Err(PublicError::bad_request("domain is a required field"));
    }
    Ok(domain)
}

fn service_provider(settings: &SamlSettings, credentials: SamlCredentials) -> ServiceProvider {
    ServiceProvider {
        entity_id: settings.entity_id(),
        acs_url: settings.acs_url(),
        audience: settings.audience_uri.clone(),
        key_pkcs8_der: credentials.key_pkcs8_der,
        certificate_der: credentials.certificate_der,
        sign_authn_requests: settings.options.sign_authn_requests,
        force_login: settings.options.force_login,
    }
}

/// An error redirect (303): `error` and `error_description` added to `target`.
fn refused(target: &str, (code, description): (&str, String)) -> Response {
    redirect(
        StatusCode::SEE_OTHER,
        &with_query(
            target,
            &[("error", code), ("error_description", &description)],
        ),
    )
}

/// The error redirect of SAML that could not be written or a response that was refused.
fn saml_refusal(error: &latchkey_saml::Error) -> (&'static str, String) {
    use latchkey_saml::Error as E;
    match error {
        E::Refused(_) => ("invalid_request", error.to_string()),
        E::Fetch(_) | E::Metadata(_) | E::Key(_) | E::Write(_) => {
            tracing::warn!(error = %error, "SAML sign-in failed");
            ("server_error", "an internal error has occurred".to_owned())
        }
    }
}

/// GET `/saml/provider?domain=`: the identity provider's settings (with the default attribute
/// names filled in), or 404.
#[utoipa::path(
    get,
    path = "/{tenant_id}/saml/provider",
    tag = "saml",
    summary = "The identity provider of an address domain",
    params(("domain" = Option<String>, Query, description = "The address domain, e.g. `example.com`.")),
    responses(
        (status = 200, description = "Its settings, with the default attribute names filled in.", body = ref("#/components/schemas/SamlProvider")),
        (status = 400, description = "`domain` is missing.", body = ErrorBody),
        (status = 404, description = "SAML is off for the tenant, or no enabled provider serves the domain.", body = ErrorBody),
    ),
)]
pub async fn provider<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    RawQuery(query): RawQuery,
) -> Result<Response, PublicError> {
    enabled(&tenant)?;
    let domain = domain(&query.unwrap_or_default())?;
    let mut provider = engine
        .saml_identity_provider(tenant.id(), &domain)
        .await
        .map_err(|_| PublicError::not_found())?;
    provider.attribute_map = provider.attribute_map.with_defaults();
    Ok(Json(provider).into_response())
}

/// GET `/saml/metadata?domain=&cert_only=`: the service provider's metadata, or with
/// `cert_only=true` its certificate (PEM), as a download.
#[utoipa::path(
    get,
    path = "/{tenant_id}/saml/metadata",
    tag = "saml",
    summary = "The service provider's metadata or certificate",
    params(
        ("domain" = Option<String>, Query, description = "The address domain of an enabled identity provider."),
        ("cert_only" = Option<String>, Query, description = "`true`: the certificate (PEM) instead of the metadata (XML)."),
    ),
    responses(
        (status = 200, description = "A download: the metadata XML, or the certificate PEM.", body = String, content_type = "application/octet-stream", headers(
            ("Content-Disposition" = String, description = "`attachment; filename=<service>-metadata.xml` or `<service>-service-provider.pem`."),
        )),
        (status = 400, description = "`domain` is missing.", body = ErrorBody),
        (status = 404, description = "SAML is off for the tenant, or no enabled provider serves the domain.", body = ErrorBody),
        (status = 500, description = "The service provider's key or metadata could not be made.", body = ErrorBody),
    ),
)]
pub async fn metadata<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    RawQuery(query): RawQuery,
) -> Result<Response, PublicError> {
    let settings = enabled(&tenant)?;
    let query = query.unwrap_or_default();
    let domain = domain(&query)?;
    engine
        .saml_identity_provider(tenant.id(), &domain)
        .await
        .map_err(|_| PublicError::not_found())?;
    let credentials = engine
        .saml_credentials(tenant.id())
        .await
        .map_err(|error| {
            tracing::error!(%error, "SAML credentials unavailable");
            PublicError::internal()
        })?;
    let sp = service_provider(settings, credentials);
    let service = &tenant.config().service.name;
    let (body, filename) = if parameter(&query, "cert_only") == "true" {
        (
            sp.certificate_pem(),
            format!("{service}-service-provider.pem"),
        )
    } else {
        let xml = sp
            .metadata_xml(METADATA_VALIDITY)
            .map_err(|_| PublicError::internal())?;
        (xml, format!("{service}-metadata.xml"))
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename={filename}"))
        .map_err(|_| PublicError::internal())?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(CONTENT_DISPOSITION, disposition);
    Ok(response)
}

/// GET `/saml/auth?domain=&redirect_to=`: 307 to the identity provider with an AuthnRequest
/// and the sealed state as RelayState; errors 303 to the page (`Referer`) or the default page.
#[utoipa::path(
    get,
    path = "/{tenant_id}/saml/auth",
    operation_id = "saml_auth",
    tag = "saml",
    summary = "Start a SAML sign-in",
    description = "A browser navigation: a redirect to the identity provider, or with `error` and `error_description` to the page (`Referer`) or `saml.default_redirect_url`.",
    params(
        ("domain" = Option<String>, Query, description = "The address domain whose identity provider signs in."),
        ("redirect_to" = Option<String>, Query, description = "The page to return to."),
        ("Referer" = Option<String>, Header, description = "Where errors are sent, before `saml.default_redirect_url`."),
    ),
    responses(
        (status = 303, description = "The sign-in cannot start: to the error page with `error` and `error_description`.", headers(
            ("Location" = String, description = "The error page."),
        )),
        (status = 307, description = "To the identity provider with an AuthnRequest and the sealed state as RelayState.", headers(
            ("Location" = String, description = "The identity provider's single sign-on URL."),
        )),
        (status = 404, description = "SAML is off for the tenant.", body = ErrorBody),
    ),
)]
pub async fn auth<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    metadata: Metadata,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PublicError> {
    let settings = enabled(&tenant)?;
    let query = query.unwrap_or_default();
    let error_target = headers
        .get(REFERER)
        .and_then(|referer| referer.to_str().ok())
        .map_or_else(|| settings.default_redirect_url.clone(), str::to_owned);
    let domain = parameter(&query, "domain");
    let redirect_to = parameter(&query, "redirect_to");
    for (name, value) in [("domain", &domain), ("redirect_to", &redirect_to)] {
        if value.is_empty() {
            return Ok(refused(
                &error_target,
                ("invalid_request", format!("{name} is a required field")),
            ));
        }
    }
    let start = match engine.start_saml(tenant.id(), &domain, &redirect_to).await {
        Ok(start) => start,
        Err(error) => return Ok(refused(&error_target, refusal(error))),
    };
    let credentials = match engine.saml_credentials(tenant.id()).await {
        Ok(credentials) => credentials,
        Err(error) => return Ok(refused(&error_target, refusal(error))),
    };
    let sp = service_provider(settings, credentials);
    let url = match metadata.get(&start.provider.metadata_url).await {
        Ok(idp) => latchkey_saml::authn_request_url(&sp, &idp, &start.request_id, &start.sealed),
        Err(error) => Err(error),
    };
    Ok(match url {
        Ok(url) => redirect(StatusCode::TEMPORARY_REDIRECT, &url),
        Err(error) => refused(&error_target, saml_refusal(&error)),
    })
}

/// POST `/saml/callback` (form: `SAMLResponse`, `RelayState`): 302 to the state's page with
/// `hanko_token`; errors 303 to the default page until the state is known, then to its page.
#[utoipa::path(
    post,
    path = "/{tenant_id}/saml/callback",
    operation_id = "saml_callback",
    tag = "saml",
    summary = "The identity provider's response",
    description = "The assertion consumer service (HTTP-POST binding), answered by a redirect.",
    request_body(content = ref("#/components/schemas/SamlCallbackForm"), content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "Signed in: to the state's page with a one-time `hanko_token` (exchanged at `POST /token`).", headers(
            ("Location" = String, description = "The page with `hanko_token`."),
        )),
        (status = 303, description = "Refused: with `error` and `error_description` to `saml.default_redirect_url` until the state is known, then to the state's page.", headers(
            ("Location" = String, description = "The error page."),
        )),
        (status = 404, description = "SAML is off for the tenant.", body = ErrorBody),
    ),
)]
pub async fn callback<S: Store>(
    State(engine): State<Arc<Engine<S>>>,
    tenant: AccountsTenant,
    metadata: Metadata,
    Meta(meta): Meta,
    body: String,
) -> Result<Response, PublicError> {
    let settings = enabled(&tenant)?;
    let fail = |target: &str, reason: (&str, String)| {
        let mut response = refused(target, reason);
        forget_state(&mut response, &tenant);
        response
    };
    let relay_state = parameter(&body, "RelayState");
    let saml_response = parameter(&body, "SAMLResponse");
    let default_target = settings.default_redirect_url.as_str();
    if relay_state.is_empty() || saml_response.is_empty() {
        return Ok(fail(
            default_target,
            (
                "invalid_request",
                "RelayState and SAMLResponse are required".to_owned(),
            ),
        ));
    }
    let (state, provider) = match engine.resume_saml(tenant.id(), &relay_state).await {
        Ok(resumed) => resumed,
        Err(error) => return Ok(fail(default_target, refusal(error))),
    };
    let target = state.redirect_to.as_str();
    let credentials = match engine.saml_credentials(tenant.id()).await {
        Ok(credentials) => credentials,
        Err(error) => return Ok(fail(target, refusal(error))),
    };
    let sp = service_provider(settings, credentials);
    let verified = match metadata.get(&provider.metadata_url).await {
        Ok(idp) => {
            latchkey_saml::verify_response(&sp, &idp, &saml_response, &saml_request_id(&state))
        }
        Err(error) => Err(error),
    };
    let asserted = match verified {
        Ok(asserted) => asserted,
        Err(error) => return Ok(fail(target, saml_refusal(&error))),
    };
    let assertion = SamlAssertion {
        name_id: asserted.name_id,
        assertion_id: asserted.assertion_id,
        not_on_or_after: asserted.not_on_or_after,
        attributes: asserted.attributes,
    };
    Ok(
        match engine
            .finish_saml(tenant.id(), &provider, &assertion, &meta)
            .await
        {
            Ok(login) => {
                let location = with_query(target, &[("hanko_token", &login.token)]);
                let mut response = redirect(StatusCode::FOUND, &location);
                forget_state(&mut response, &tenant);
                response
            }
            Err(error) => fail(target, refusal(error)),
        },
    )
}
