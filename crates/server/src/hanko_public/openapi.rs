//! This API's OpenAPI document: the handlers' `#[utoipa::path]` attributes and wire types, plus
//! what every route has in common because it passes the tenant gate (the `tenant_id` path
//! parameter, 404 for a tenant that does not serve the API, 503 while storage is down), the
//! session security schemes, and the schemas of shapes that belong to other crates (WebAuthn
//! options, the engine's passkey and SAML provider views), written here so that utoipa stays
//! out of the engine.

use serde_json::{Value, json};
use utoipa::openapi::path::{
    HttpMethod, Operation, ParameterBuilder, ParameterIn, PathItem, PathItemBuilder,
};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Content, OpenApi as Document, Ref, RefOr, Required, Response, ResponseBuilder, Schema,
};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;
use super::{accounts, emails, passcodes, passwords, routes, saml, third_party, webauthn};
use crate::openapi::info;

const DESCRIPTION: &str = "\
latchkey's implementation of the Hanko backend's public API v0.12 for tenants that enable it \
(`hanko_public.enabled`): users known by their email addresses, passcodes by email, passwords, \
passkeys, sessions, third-party and SAML sign-in. Every route is served under `/{tenant_id}`, \
as documented here; a server with a `default_tenant` also serves that tenant's routes at the \
root (`/.well-known/config` instead of `/{tenant_id}/.well-known/config`, and so on). The \
tenant's session keys, `/{tenant_id}/.well-known/jwks.json`, are served by the passkey-server \
dialect for both APIs and documented with it. \
Errors are `{\"code\", \"message\"}` with the HTTP status as `code`. Where latchkey differs from \
the original (statuses the original really sends rather than those of its OpenAPI document, \
server-side sessions, checked addresses), this document describes latchkey: see \
docs/hanko-public-api.md.";

#[derive(OpenApi)]
#[openapi(
    paths(
        routes::alive,
        routes::ready,
        accounts::well_known_config,
        accounts::look_up,
        accounts::delete_account,
        accounts::sign_up,
        accounts::get_user,
        accounts::me,
        accounts::logout,
        emails::list,
        emails::add,
        emails::delete,
        emails::set_primary,
        passcodes::initialize,
        passcodes::finalize,
        passwords::set,
        passwords::login,
        third_party::auth,
        third_party::callback,
        third_party::callback_post,
        third_party::exchange,
        saml::provider,
        saml::metadata,
        saml::auth,
        saml::callback,
        webauthn::registration_initialize,
        webauthn::registration_finalize,
        webauthn::login_initialize,
        webauthn::login_finalize,
        webauthn::list,
        webauthn::rename,
        webauthn::delete,
        webauthn::signals,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Gate, &Sessions, &ForeignShapes),
)]
struct Api;

pub fn document() -> Document {
    let mut document = Api::openapi();
    document.info = info("Hanko Public API v0.12 (latchkey)", DESCRIPTION);
    document
}

/// What every route has because the tenant gate runs before it.
struct Gate;

/// The gate's answers, added to each operation that does not describe the status already.
const GATE_NOT_FOUND: &str =
    "The tenant does not exist or does not serve this API (`hanko_public.enabled` off).";
const UNAVAILABLE: &str = "Storage is unavailable; the request may be retried.";
const INTERNAL: &str = "An internal fault, logged by the server and not described.";

impl Modify for Gate {
    fn modify(&self, openapi: &mut Document) {
        openapi.paths.paths.insert(
            "/{tenant_id}/".to_owned(),
            PathItemBuilder::new()
                .operation(HttpMethod::Get, status_page())
                .build(),
        );
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                operation
                    .parameters
                    .get_or_insert_with(Vec::new)
                    .insert(0, RefOr::T(tenant_id()));
                let responses = &mut operation.responses.responses;
                responses
                    .entry("404".to_owned())
                    .or_insert_with(|| error_response(GATE_NOT_FOUND));
                responses
                    .entry("500".to_owned())
                    .or_insert_with(|| error_response(INTERNAL));
                match responses.get_mut("503") {
                    // `/health/ready` answers 503 itself, in its own shape.
                    Some(RefOr::T(own)) => also_an_error(own),
                    _ => {
                        responses.insert("503".to_owned(), error_response(UNAVAILABLE));
                    }
                }
            }
        }
    }
}

fn tenant_id() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("tenant_id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("The tenant's id."))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        ))
        .build()
}

/// `GET /{tenant_id}/`: the server's status page, routed behind the gate like the API.
fn status_page() -> Operation {
    let mut operation = Operation::new();
    operation.tags = Some(vec!["health".to_owned()]);
    operation.summary = Some("The server's status page".to_owned());
    operation.operation_id = Some("status_page".to_owned());
    operation.responses.responses.insert(
        "200".to_owned(),
        RefOr::T(
            ResponseBuilder::new()
                .description("A page naming the server and its version.")
                .content(
                    "text/html",
                    Content::new(Some(ObjectBuilder::new().schema_type(Type::String))),
                )
                .build(),
        ),
    );
    operation
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/json", Content::new(Some(error_ref())))
            .build(),
    )
}

fn error_ref() -> Ref {
    Ref::from_schema_name("Error")
}

/// A response of the operation's own shape that the gate may also give, in the error shape.
fn also_an_error(response: &mut Response) {
    response.description = format!("{} Or: {UNAVAILABLE}", response.description);
    if let Some(RefOr::T(content)) = response.content.get_mut("application/json")
        && let Some(own) = content.schema.take()
    {
        content.schema = Some(
            OneOfBuilder::new()
                .item(own)
                .item(RefOr::Ref(error_ref()))
                .into(),
        );
    }
}

/// The session token, where the API reads it: `Authorization: Bearer` first (the SDK's choice
/// where the token came in `X-Auth-Token`), then the session cookie.
struct Sessions;

impl Modify for Sessions {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let cookie = ApiKeyValue::with_description(
            "hanko",
            "The session cookie a login sets where `session.enable_auth_token_header` is off; \
             its name is the tenant's `session.cookie.name` (`hanko` by default).",
        );
        components
            .add_security_scheme("CookieAuth", SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
        components.add_security_scheme(
            "BearerTokenAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The session token a login answered in `X-Auth-Token` (where \
                         `session.enable_auth_token_header` is on) or in the cookie.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Schemas of shapes this dialect serves but does not define.
struct ForeignShapes;

impl Modify for ForeignShapes {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, schema) in foreign_shapes() {
            components.schemas.insert(name.to_owned(), RefOr::T(schema));
        }
    }
}

/// The shapes as utoipa reads them; the tests check that none is lost on the way.
fn foreign_shapes() -> Vec<(&'static str, Schema)> {
    foreign_shapes_json()
        .into_iter()
        .filter_map(|(name, value)| match serde_json::from_value(value) {
            Ok(schema) => Some((name, schema)),
            Err(error) => {
                tracing::error!(%error, name, "an OpenAPI schema is not a schema");
                None
            }
        })
        .collect()
}

/// The shapes as JSON Schema, the form they are easiest to read and check against the wire in.
fn foreign_shapes_json() -> Vec<(&'static str, Value)> {
    let string = json!({"type": "string"});
    let base64url = json!({"type": "string", "description": "base64url without padding"});
    vec![
        ("Null", json!({"type": "null"})),
        (
            "Alive",
            json!({"type": "object", "required": ["alive"], "properties": {"alive": {"type": "boolean"}}}),
        ),
        (
            "Ready",
            json!({"type": "object", "required": ["ready"], "properties": {"ready": {"type": "boolean"}}}),
        ),
        (
            "CreationOptions",
            json!({
                "type": "object",
                "description": "`PublicKeyCredentialCreationOptions` as go-webauthn v0.10 writes them, wrapped as `navigator.credentials.create` takes them.",
                "required": ["publicKey"],
                "properties": {"publicKey": {
                    "type": "object",
                    "required": ["rp", "user", "challenge", "pubKeyCredParams", "authenticatorSelection", "attestation"],
                    "properties": {
                        "rp": {"type": "object", "required": ["name", "id"],
                               "properties": {"name": string, "id": string}},
                        "user": {"type": "object", "required": ["name", "displayName", "id"],
                                 "properties": {"name": string, "icon": string, "displayName": string, "id": base64url}},
                        "challenge": base64url,
                        "pubKeyCredParams": {"type": "array", "items": {
                            "type": "object", "required": ["type", "alg"],
                            "properties": {"type": {"type": "string", "enum": ["public-key"]}, "alg": {"type": "integer"}}}},
                        "timeout": {"type": "integer", "minimum": 1, "description": "milliseconds"},
                        "authenticatorSelection": {
                            "type": "object",
                            "required": ["requireResidentKey", "residentKey", "userVerification"],
                            "properties": {
                                "authenticatorAttachment": {"type": "string", "enum": ["platform", "cross-platform"]},
                                "requireResidentKey": {"type": "boolean"},
                                "residentKey": {"type": "string", "enum": ["discouraged", "preferred", "required"]},
                                "userVerification": {"type": "string", "enum": ["required", "preferred", "discouraged"]}}},
                        "attestation": {"type": "string", "enum": ["none", "indirect", "direct", "enterprise"]}}}}
            }),
        ),
        (
            "RequestOptions",
            json!({
                "type": "object",
                "description": "`PublicKeyCredentialRequestOptions` as go-webauthn v0.10 writes them, wrapped as `navigator.credentials.get` takes them.",
                "required": ["publicKey"],
                "properties": {"publicKey": {
                    "type": "object",
                    "required": ["challenge", "userVerification"],
                    "properties": {
                        "challenge": base64url,
                        "timeout": {"type": "integer", "minimum": 1, "description": "milliseconds"},
                        "rpId": string,
                        "allowCredentials": {"type": "array", "items": {
                            "type": "object", "required": ["type", "id"],
                            "properties": {"type": {"type": "string", "enum": ["public-key"]}, "id": base64url}}},
                        "userVerification": {"type": "string", "enum": ["required", "preferred", "discouraged"]}}}}
            }),
        ),
        (
            "AttestationResponse",
            json!({
                "type": "object",
                "description": "The `PublicKeyCredential` of `navigator.credentials.create`, as JSON (binary fields base64url).",
                "required": ["id", "rawId", "type", "response"],
                "properties": {
                    "id": base64url, "rawId": base64url, "type": {"type": "string", "enum": ["public-key"]},
                    "authenticatorAttachment": string,
                    "response": {"type": "object", "required": ["clientDataJSON", "attestationObject"],
                                 "properties": {"clientDataJSON": base64url, "attestationObject": base64url,
                                                "transports": {"type": "array", "items": string}}}}
            }),
        ),
        (
            "AssertionResponse",
            json!({
                "type": "object",
                "description": "The `PublicKeyCredential` of `navigator.credentials.get`, as JSON (binary fields base64url).",
                "required": ["id", "rawId", "type", "response"],
                "properties": {
                    "id": base64url, "rawId": base64url, "type": {"type": "string", "enum": ["public-key"]},
                    "authenticatorAttachment": string,
                    "response": {"type": "object", "required": ["clientDataJSON", "authenticatorData", "signature"],
                                 "properties": {"clientDataJSON": base64url, "authenticatorData": base64url,
                                                "signature": base64url, "userHandle": base64url}}}
            }),
        ),
        (
            "Credentials",
            json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "description": "A passkey, as the original's `WebauthnCredentialResponse`.",
                    "required": ["id", "public_key", "attestation_type", "aaguid", "created_at", "transports", "backup_eligible", "backup_state"],
                    "properties": {
                        "id": base64url,
                        "name": string,
                        "public_key": base64url,
                        "attestation_type": string,
                        "aaguid": {"type": "string", "format": "uuid"},
                        "last_used_at": {"type": "string", "format": "date-time"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "transports": {"type": "array", "items": string},
                        "backup_eligible": {"type": "boolean"},
                        "backup_state": {"type": "boolean"}}}
            }),
        ),
        (
            "SamlProvider",
            json!({
                "type": "object",
                "description": "An identity provider's settings; empty and false fields are left out.",
                "required": ["attribute_map"],
                "properties": {
                    "enabled": {"type": "boolean"},
                    "name": string,
                    "domain": string,
                    "metadata_url": string,
                    "skip_email_verification": {"type": "boolean"},
                    "attribute_map": {"type": "object", "additionalProperties": string,
                                      "description": "Which SAML attribute carries which claim."}}
            }),
        ),
        (
            "CallbackForm",
            json!({
                "type": "object",
                "properties": {"state": string, "code": string, "error": string, "error_description": string}
            }),
        ),
        (
            "SamlCallbackForm",
            json!({
                "type": "object",
                "properties": {"SAMLResponse": {"type": "string", "description": "base64 of the SAML response"},
                               "RelayState": {"type": "string", "description": "the sealed state `GET /saml/auth` sent"}}
            }),
        ),
    ]
}

#[cfg(test)]
mod tests;
