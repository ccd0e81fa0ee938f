//! This API's OpenAPI document: the handlers' `#[utoipa::path]` attributes, the wire types'
//! schemas, and here what they share: the envelope's headers, the failures every encrypted or
//! licensed call can answer, the failure body, and the schemas of what travels encrypted (which
//! no schema on the wire can show).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi as Document, Ref, RefOr, Required, Response, ResponseBuilder,
};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, PartialSchema, ToSchema};

use super::error::Failure;
use super::{links, login, registration, service, vendor_metadata};
use crate::openapi::info;

pub fn document() -> Document {
    let mut document = KosmosApi::openapi();
    document.info = info(
        "1Kosmos WebAuthn API (latchkey)",
        "latchkey's implementation of the 1Kosmos WebAuthn API under `/webauthn`: FIDO2 \
         ceremonies in the secp256k1/AES-256-GCM request envelope, license keys, communities, \
         DID links and vendor metadata.\n\n\
         **The envelope.** The service has one secp256k1 key pair (`GET /webauthn/publickeys`); \
         a caller has its own and sends its public key in the `publickey` header. Both sides \
         take the X coordinate of their ECDH shared point, 32 bytes, as an AES-256-GCM key (no \
         KDF). An encrypted value is standard base64 of `IV(16 bytes) ‖ ciphertext ‖ tag(16 \
         bytes)`. An encrypted call carries its license key encrypted in `licensekey`, a fresh \
         `requestid` (encrypted `RequestIdPayload`: its `ts` within 60 s of the service's clock, \
         its `uuid` never used before within that span) and, with a body, \
         `{\"data\": \"<encrypted JSON>\"}` (`SealedRequest`); it is answered \
         `{\"status\": \"ok\", \"errorMessage\": \"\", \"data\": \"<encrypted JSON>\"}` \
         (`SealedAnswer`). Each operation names the schema of its decrypted JSON. The link, \
         link status and unregister calls have encrypted headers only and answer in plain JSON. \
         The `/u1` calls carry the same JSON in plain, with the license key in plain in \
         `licensekey`.\n\n\
         **Failures** answer `{\"status\": \"failed\", \"errorMessage\": \"...\"}` (`Failure`), \
         never encrypted.",
    );
    document
}

#[derive(OpenApi)]
#[openapi(
    paths(
        links::status,
        links::link,
        links::unregister,
        links::unregister_for_user,
        links::u1_status,
        links::u1_link,
        vendor_metadata::fetch,
        vendor_metadata::put,
        vendor_metadata::patch,
        login::options,
        login::result,
        login::u1_options,
        login::u1_result,
        registration::options,
        registration::result,
        registration::u1_options,
        registration::u1_result,
        service::environment,
        service::healthz,
        service::public_keys,
        service::service_directory,
    ),
    components(schemas(
        Failure,
        crate::http::signal::CredentialSignal,
        registration::SealedCreationOptions,
        registration::Registered,
        login::LoggedIn,
        super::options::RequestOptions,
    )),
    modifiers(&Shared),
    tags(
        (name = "FIDO registration", description = "Passkey registration in the envelope."),
        (name = "FIDO authentication", description = "Passkey login in the envelope."),
        (name = "u1 registration", description = "Passkey registration in plain JSON."),
        (name = "u1 authentication", description = "Passkey login in plain JSON."),
        (name = "linking", description = "Credentials linked to wallet DIDs (encrypted headers)."),
        (name = "u1 linking", description = "Credentials linked to wallet DIDs (plain)."),
        (name = "de-registration", description = "Removing credentials (encrypted headers)."),
        (name = "vendor metadata", description = "Per-model authenticator policy records."),
    )
)]
struct KosmosApi;

/// The security scheme of the plain calls and the schemas that are read or written only
/// encrypted, so that no handler names them.
struct Shared;

impl Modify for Shared {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "licenseKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "licensekey",
                "The license key in plain (`/u1` calls, vendor metadata, `/environment`).",
            ))),
        );
        components
            .schemas
            .insert("CredentialResult".to_owned(), credential_result().into());
        components
            .schemas
            .insert("RequestIdPayload".to_owned(), request_id_payload().into());
    }
}

/// The body of a result call: a `PublicKeyCredential` as a browser serialises it, with the
/// community fields beside it.
fn credential_result() -> Object {
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let response = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "The authenticator's response, binary values base64url: `clientDataJSON` and \
             `attestationObject` (registration) or `authenticatorData`, `signature` and \
             `userHandle` (login); `transports` or `getTransports` may list transports. \
             Members that are not strings (the methods a naive serialisation sends as `{}`) \
             are ignored.",
        ))
        .property("clientDataJSON", text())
        .property("attestationObject", text())
        .property("authenticatorData", text())
        .property("signature", text())
        .property("userHandle", text())
        .property("transports", ArrayBuilder::new().items(text()));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "A result call's body (decrypted, for the encrypted calls): the credential the \
             browser returned, serialised as the 1Kosmos SDKs do, plus `dns` and `communityId` \
             (required) and `tenantId` (informational). `id` defaults to `rawId`, `type` to \
             `public-key`; `getClientExtensionResults` stands for `clientExtensionResults`.",
        ))
        .property("id", text())
        .property("rawId", text())
        .property("type", text())
        .property("authenticatorAttachment", text())
        .property("response", response)
        .property(
            "clientExtensionResults",
            ObjectBuilder::new().schema_type(Type::Object),
        )
        .property(
            "getClientExtensionResults",
            ObjectBuilder::new().schema_type(Type::Object),
        )
        .property("dns", text())
        .property("communityId", text())
        .property("tenantId", text())
        .required("response")
        .build()
}

/// The JSON the `requestid` header encrypts.
fn request_id_payload() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "What the `requestid` header decrypts to. A `uuid` is accepted once per license \
             while its `ts` is fresh.",
        ))
        .property(
            "ts",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Integer, Type::String]))
                .description(Some(
                    "The time of the call in Unix seconds (or milliseconds, as a number or its \
                     text); at most 60 s from the service's clock.",
                )),
        )
        .property(
            "appid",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("The calling app; informational.")),
        )
        .property(
            "uuid",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(128))
                .description(Some("A fresh id per call.")),
        )
        .required("ts")
        .required("uuid")
        .build()
}

/// The failure body every error answer of this API has.
impl PartialSchema for Failure {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "status",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["failed"])),
            )
            .property(
                "errorMessage",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("What failed, for people.")),
            )
            .property("signal", signal_reference())
            .required("status")
            .required("errorMessage")
            .into()
    }
}

impl ToSchema for Failure {}

/// The `signal` member of a failure, described where it is used.
fn signal_reference() -> Ref {
    let mut reference = Ref::from_schema_name("CredentialSignal");
    reference.description = "Only on a refused login whose credential the server does not hold: \
                             the options of `PublicKeyCredential.signalUnknownCredential`."
        .to_owned();
    reference
}

/// A success answer without content.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    #[serde(rename = "errorMessage")]
    #[schema(max_length = 0)]
    error_message: &'static str,
    #[schema(pattern = "^ok$")]
    status: &'static str,
}

impl Done {
    pub const OK: Self = Self {
        error_message: "",
        status: "ok",
    };
}

/// The answer of an unregister call: an empty object.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unregistered {}

/// Storage could not be reached; the call may be sent again.
pub const STORAGE_UNAVAILABLE: &str =
    "Storage is unavailable for the moment; the call may be sent again.";
/// Why a ceremony's start or finish may be refused for a while.
pub const RATE_LIMITED: &str =
    "Too many ceremonies started, or failed, from this address or in this community.";
/// Why a ceremony's result does not verify.
pub const CEREMONY_FAILED: &str = "The response does not verify: unknown or expired challenge, \
     a ceremony of another kind, a disabled authenticator model, or a failed check.";
pub const NO_USER: &str = "Unknown community, or a user without credentials.";
pub const NO_CREDENTIAL: &str =
    "Unknown community or user, or none of the user's credentials has the hash.";

/// The three headers of an encrypted call.
pub struct EnvelopeHeaders;

impl IntoParams for EnvelopeHeaders {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            header(
                "publickey",
                "The caller's secp256k1 public key: standard base64 of the raw 64-byte `X ‖ Y` \
                 (the 65-byte SEC1 form, 63 bytes that lost a leading zero, and the compressed \
                 33-byte form are read too).",
            ),
            header(
                "licensekey",
                "The license key, encrypted: base64 of `IV(16) ‖ ciphertext ‖ tag(16)`.",
            ),
            header(
                "requestid",
                "A `RequestIdPayload`, encrypted: base64 of `IV(16) ‖ ciphertext ‖ tag(16)`.",
            ),
        ]
    }
}

fn header(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .content_encoding("base64"),
        ))
        .build()
}

/// The optional `sessionInfo` header of the u1 result calls.
pub struct SessionInfoHeader;

impl IntoParams for SessionInfoHeader {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("sessionInfo")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The app's session: standard base64 of `{url, sessionId}`, or a bare session \
                     id. Read leniently: anything unreadable counts as absent.",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        ]
    }
}

/// What the gate of an encrypted call (`publickey`, `licensekey`, `requestid`, and the body's
/// envelope) and its handler's checks answer.
pub struct EnvelopeFailures;

impl IntoResponses for EnvelopeFailures {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([
            failure(
                400,
                "Malformed call: a missing or unreadable `publickey` or `requestid` header, a \
                 header or body that does not decrypt under the agreed key, a `requestid` that \
                 is not a `RequestIdPayload`, a body that is not `{\"data\": ...}` or whose JSON \
                 breaks a rule, or a bad path parameter; `errorMessage` says which.",
            ),
            failure(
                401,
                "A missing `licensekey` header, an unknown license key, or a stale `requestid` \
                 (its `ts` more than 60 s from the service's clock).",
            ),
            failure(
                409,
                "The `requestid`'s uuid was used before (a replay), or, finishing a \
                 registration, the credential is already registered.",
            ),
            failure(503, STORAGE_UNAVAILABLE),
        ])
    }
}

/// What the gate of a call with a plain `licensekey` and its handler's checks answer.
pub struct LicenseFailures;

impl IntoResponses for LicenseFailures {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([
            failure(
                400,
                "Malformed call: a header that is not text, a bad path parameter, or a body that \
                 is not a JSON object or breaks a rule; `errorMessage` says which.",
            ),
            failure(
                401,
                "A missing `licensekey` header or an unknown license key.",
            ),
            failure(503, STORAGE_UNAVAILABLE),
        ])
    }
}

fn failure(status: u16, description: &str) -> (String, RefOr<Response>) {
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Failure")))
                .build(),
        )
        .build();
    (status.to_string(), response.into())
}

/// `schema_with` functions for fields of engine types, whose wire words are these.
fn words(values: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
}

pub fn attestation_conveyance() -> Object {
    words(&["none", "indirect", "direct", "enterprise"])
}

pub fn user_verification() -> Object {
    words(&["required", "preferred", "discouraged"])
}

pub fn resident_key() -> Object {
    words(&["discouraged", "preferred", "required"])
}

pub fn attachment() -> Object {
    words(&["platform", "cross-platform"])
}

#[cfg(test)]
mod tests;
