//! The admin API's OpenAPI document: the handlers' `#[utoipa::path]` attributes, plus what the
//! router adds around them, stated once here for every operation it applies to: the bearer
//! token of the protected routes (401), the body limit (413) and the store's outages (503).

use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Content, HttpMethod, ObjectBuilder, OpenApi as Document, Ref, RefOr, Required, ResponseBuilder,
    Type,
};
use utoipa::{Modify, OpenApi, ToSchema};

use super::schemas::AdminError;
use super::{audit, authenticators, hanko, hanko_webhooks, health, secrets, tenants, users};
use crate::openapi::{Document as Served, info};

const BEARER: &str = "bearerAuth";

#[derive(OpenApi)]
#[openapi(
    paths(
        health::alive,
        health::ready,
        health::metrics,
        tenants::list,
        tenants::create,
        tenants::show,
        tenants::rename,
        tenants::remove,
        tenants::replace_config,
        audit::list,
        authenticators::list,
        authenticators::put,
        authenticators::remove,
        secrets::api_keys,
        secrets::create_api_key,
        secrets::delete_api_key,
        secrets::signing_keys,
        secrets::rotate_signing_key,
        secrets::delete_signing_key,
        users::list,
        users::show,
        users::remove,
        hanko::list_users,
        hanko::create_user,
        hanko::show_user,
        hanko::remove_user,
        hanko::end_sessions,
        hanko::list_emails,
        hanko::create_email,
        hanko::show_email,
        hanko::remove_email,
        hanko::set_primary,
        hanko::audit_logs,
        hanko_webhooks::list,
        hanko_webhooks::create,
        hanko_webhooks::show,
        hanko_webhooks::update,
        hanko_webhooks::remove,
    ),
    modifiers(&AroundHandlers),
    tags(
        (name = "health", description = "Liveness, readiness and metrics."),
        (name = "tenants", description = "Tenants and their configuration."),
        (name = "secrets", description = "API keys of the passkey-server API and token-signing keys."),
        (name = "users", description = "Users of the passkey-server API."),
        (name = "audit", description = "The audit log."),
        (name = "authenticators", description = "Which authenticator models may register in a tenant: its own records over the global ones imported from FIDO MDS."),
        (name = "hanko", description = "Users, addresses and audit log of a tenant serving the Hanko Public API (the original's admin API)."),
        (name = "webhooks", description = "Webhooks of a tenant serving the Hanko Public API."),
        (name = "openapi", description = "These documents."),
    )
)]
struct AdminApi;

pub fn document() -> Document {
    let mut document = AdminApi::openapi();
    document.info = info(
        "latchkey admin API",
        "The admin listener of latchkey: health, metrics, tenants and their configuration, API keys, signing keys, users, audit logs and the Hanko Public API administration. Open on loopback; a bearer token elsewhere.",
    );
    document
}

/// What the router and the body extractor add to the handlers' own answers, and the two routes
/// served by shared handlers.
struct AroundHandlers;

impl Modify for AroundHandlers {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "`Authorization: Bearer <admin token>` on every route but `/`, \
                         `/health/*` and `/openapi/*`, when the server has an admin token \
                         (`LATCHKEY_ADMIN_TOKEN`); it must have one unless the admin listener \
                         is on loopback.",
                    ))
                    .build(),
            ),
        );
        // Inlined rather than referenced from `components.responses`: a referenced response
        // carries no description of its own where the operation lists it.
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(AdminError::name()))),
                    )
                    .build(),
            )
        };
        let unauthorized = error(
            "`Unauthorized`: the server has an admin token and the request does not carry it; \
             the answer has `WWW-Authenticate: Bearer`.",
        );
        let too_large = error("`Request Entity Too Large`: the body is larger than 64 KiB.");
        let unavailable = error(
            "`Service Unavailable`: the store does not answer; the request may be sent again.",
        );

        for (path, item) in document.paths.paths.iter_mut() {
            let protected = path == "/metrics" || path.starts_with("/tenants");
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                if protected {
                    operation
                        .security
                        .get_or_insert_with(Vec::new)
                        .push(SecurityRequirement::new(BEARER, Vec::<String>::new()));
                    responses.insert("401".to_owned(), unauthorized.clone());
                }
                if operation.request_body.is_some() {
                    responses.insert("413".to_owned(), too_large.clone());
                }
                if path.starts_with("/tenants") {
                    responses.insert("503".to_owned(), unavailable.clone());
                }
            }
        }

        document.paths.add_path_operation(
            "/",
            vec![HttpMethod::Get],
            OperationBuilder::new()
                .tag("health")
                .summary(Some("A page that says the server runs."))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("A small HTML page with latchkey's version.")
                        .content(
                            "text/html; charset=utf-8",
                            Content::new(Some(ObjectBuilder::new().schema_type(Type::String))),
                        ),
                )
                .build(),
        );
        document.paths.add_path_operation(
            "/openapi/{document}",
            vec![HttpMethod::Get],
            OperationBuilder::new()
                .tag("openapi")
                .summary(Some("One of latchkey's OpenAPI documents."))
                .parameter(
                    ParameterBuilder::new()
                        .name("document")
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .description(Some("The document's file name."))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .enum_values(Some(Served::ALL.map(Served::file_name))),
                        )),
                )
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("The OpenAPI 3.1 document, as committed under docs/openapi/.")
                        .content(
                            "application/json",
                            Content::new(Some(ObjectBuilder::new().schema_type(Type::Object))),
                        ),
                )
                .response(
                    "404",
                    ResponseBuilder::new().description("No such document (an empty body)."),
                )
                .build(),
        );
    }
}

#[cfg(test)]
mod tests;
