//! This API's OpenAPI document, derived from the handlers' `#[utoipa::path]` attributes and the
//! wire types. What every route has in common because of the layers in front of its handler
//! (the tenant gate, the API-key and body extractors, the engine's storage) is added here, once,
//! by [`Layers`], so that a handler's attribute lists only the answers of its own.

use serde_json::json;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ContentBuilder, KnownFormat, ObjectBuilder, OpenApi as Document, Ref, RefOr, Required, Schema,
    SchemaFormat, Type,
};
use utoipa::{Modify, OpenApi};

use super::{audit, credentials, jwks, login, registration, signals, transactions};
use crate::openapi::info;

/// The 429 of the ceremonies the server's rate limits count.
pub(super) const RATE_LIMITED: &str = "Over one of the server's rate limits (`Too Many Requests`): too many \
     ceremonies started, or failed, from this address or for this tenant.";
/// The body of the registration finishes.
pub(super) const CREDENTIAL_CREATION: &str = "The `PublicKeyCredential` that \
     `navigator.credentials.create` returned, as JSON (binary fields base64url, padding allowed).";
/// The body of the login and transaction finishes.
pub(super) const CREDENTIAL_ASSERTION: &str = "The `PublicKeyCredential` that \
     `navigator.credentials.get` returned, as JSON (binary fields base64url, padding allowed).";

/// The header the API key is sent in.
const API_KEY_SCHEME: &str = "apiKey";

#[derive(OpenApi)]
#[openapi(
    paths(
        jwks::jwks,
        credentials::list,
        credentials::get,
        credentials::rename,
        credentials::delete,
        registration::initialize,
        registration::finalize,
        login::initialize,
        login::finalize,
        transactions::initialize,
        transactions::finalize,
        transactions::list,
        registration::mfa_initialize,
        registration::mfa_finalize,
        login::mfa_initialize,
        login::mfa_finalize,
        audit::list,
        signals::for_user,
    ),
    modifiers(&Layers)
)]
struct PasskeyServer;

pub fn document() -> Document {
    let mut document = PasskeyServer::openapi();
    document.info = info(
        "Hanko passkey server (latchkey)",
        "latchkey's implementation of the Hanko passkey-server API: multi-tenant registration, \
         login, MFA, transactions, credentials, JWKS and audit logs under `/{tenant_id}`, \
         authenticated by the tenant's `apiKey` header where the original requires it (the \
         header `X-API-KEY` is accepted as well). JSON answers are `application/json; \
         charset=UTF-8`; every error is `{\"title\",\"details\",\"status\"}`. Browsers' CORS \
         preflights (`OPTIONS` on any path below a tenant) are answered 204 by the tenant's CORS \
         rules.",
    );
    document
}

/// What the layers in front of every handler add to its operation.
struct Layers;

impl Modify for Layers {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                API_KEY_SCHEME,
                "One of the tenant's API keys (the admin API makes them).",
            ))),
        );
        components
            .schemas
            .insert("AttestationCredential".to_owned(), attestation_credential());
        components
            .schemas
            .insert("AssertionCredential".to_owned(), assertion_credential());
        components.schemas.insert("Jwks".to_owned(), jwks_schema());
        document.tags = Some(
            [
                (
                    "credentials",
                    "Registering and managing WebAuthn credentials.",
                ),
                ("mfa", "Credentials as a second factor."),
                (
                    "webauthn",
                    "Logins, transactions and the keys that verify tokens.",
                ),
                ("audit_logs", "The tenant's audit log."),
            ]
            .map(|(name, description)| {
                TagBuilder::new()
                    .name(name)
                    .description(Some(description))
                    .build()
            })
            .into(),
        );
        for item in document.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                behind_the_layers(operation);
            }
        }
    }
}

/// Adds the tenant gate's parameter and the answers of the gate, the API-key check, the body
/// reader and the store to `operation`.
fn behind_the_layers(operation: &mut Operation) {
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .insert(0, RefOr::T(tenant_id()));
    if operation.request_body.is_some() {
        answer(
            operation,
            "400",
            "The body is not a JSON object of the documented field types, or not sent as \
             `application/json` (`unable to process request`).",
        );
        answer(
            operation,
            "413",
            "The body is larger than 64 KiB (`Request Entity Too Large`).",
        );
    }
    let keyed = SecurityRequirement::new(API_KEY_SCHEME, Vec::<String>::new());
    if operation
        .security
        .as_ref()
        .is_some_and(|requirements| requirements.contains(&keyed))
    {
        answer(
            operation,
            "401",
            "The API key is missing, wrong, or not one of this tenant's (`The api key is \
             invalid`).",
        );
    }
    answer(
        operation,
        "400",
        "`tenant_id` is not a UUID (`tenant_id must be a valid uuid4`).",
    );
    answer(
        operation,
        "404",
        "No tenant has this id (`tenant not found`).",
    );
    answer(
        operation,
        "500",
        "A server fault (`Internal Server Error`); its cause is in the server log only.",
    );
    answer(
        operation,
        "503",
        "The store is unavailable for the moment (`Service Unavailable`); try again later.",
    );
    // Every refusal over a rate limit says when to try again (`ApiError::too_many_requests`).
    if let Some(RefOr::T(limited)) = operation.responses.responses.get_mut("429") {
        limited.headers.insert(
            "Retry-After".to_owned(),
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                ))
                .description(Some("Seconds after which the request may be sent again."))
                .build()
                .into(),
        );
    }
}

/// Adds `description` to the answer `status` of `operation`, creating it with the error body.
fn answer(operation: &mut Operation, status: &str, description: &str) {
    let responses = &mut operation.responses.responses;
    if let Some(RefOr::T(response)) = responses.get_mut(status) {
        response.description = format!("{} {description}", response.description);
        return;
    }
    responses.insert(status.to_owned(), RefOr::T(error_response(description)));
}

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .build(),
        )
        .build()
}

/// The first path segment of every route.
fn tenant_id() -> Parameter {
    let mut parameter = Parameter::new("tenant_id");
    parameter.parameter_in = ParameterIn::Path;
    parameter.required = Required::True;
    parameter.description = Some("The tenant's id.".to_owned());
    parameter.schema = Some(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .into(),
    );
    parameter
}

/// The JSON of a credential response as the WebAuthn checks read it. The engine parses it
/// (there is no dialect type to derive it from); what does not parse is a 400.
fn credential(response: serde_json::Value, required: &[&str]) -> RefOr<Schema> {
    schema(json!({
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The credential id, base64url."},
            "rawId": {"type": "string", "description": "The same id, base64url."},
            "type": {"type": "string", "enum": ["public-key"]},
            "response": {
                "type": "object",
                "properties": response,
                "required": required,
            },
            "authenticatorAttachment": {"type": ["string", "null"]},
            "clientExtensionResults": {"type": "object"},
        },
        "required": ["id", "rawId", "type", "response"],
    }))
}

fn attestation_credential() -> RefOr<Schema> {
    credential(
        json!({
            "clientDataJSON": {"type": "string"},
            "attestationObject": {"type": "string"},
            "transports": {"type": "array", "items": {"type": "string"}},
        }),
        &["clientDataJSON", "attestationObject"],
    )
}

fn assertion_credential() -> RefOr<Schema> {
    credential(
        json!({
            "clientDataJSON": {"type": "string"},
            "authenticatorData": {"type": "string"},
            "signature": {"type": "string"},
            "userHandle": {"type": ["string", "null"]},
        }),
        &["clientDataJSON", "authenticatorData", "signature"],
    )
}

/// The JWKS document the engine builds (`latchkey_engine::tokens::jwks`): RSA keys carry `n`
/// and `e`, EC and OKP keys `crv` and `x` (EC also `y`).
fn jwks_schema() -> RefOr<Schema> {
    schema(json!({
        "type": "object",
        "properties": {
            "keys": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kty": {"type": "string", "enum": ["RSA", "EC", "OKP"]},
                        "kid": {"type": "string", "format": "uuid"},
                        "alg": {"type": "string"},
                        "use": {"type": "string", "enum": ["sig"]},
                        "n": {"type": "string"},
                        "e": {"type": "string"},
                        "crv": {"type": "string"},
                        "x": {"type": "string"},
                        "y": {"type": "string"},
                    },
                    "required": ["kty", "kid", "alg", "use"],
                },
            },
        },
        "required": ["keys"],
    }))
}

/// A schema written as JSON Schema. The literals above are fixed, so they always read; the
/// unit tests render the document and would show one that does not.
fn schema(value: serde_json::Value) -> RefOr<Schema> {
    serde_json::from_value(value).unwrap_or_else(|_| RefOr::T(Schema::default()))
}

#[cfg(test)]
mod tests;
