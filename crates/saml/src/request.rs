//! The AuthnRequest, sent by HTTP-Redirect as gosaml2 builds it for the original, but signed
//! (when asked) as the binding says: `SigAlg` and `Signature` over the query, not an XML
//! signature inside the deflated request, which identity providers reject.

use chrono::Utc;
use samael::metadata::HTTP_POST_BINDING;
use samael::schema::{AuthnRequest, Issuer, NameIdPolicy};

use crate::{Error, IdentityProvider, ServiceProvider};

/// The URL that sends the browser to `idp` with an AuthnRequest of ID `request_id` and
/// `relay_state`. `request_id` must be an XML name (start with `_` or a letter); the response
/// must answer it (`InResponseTo`).
pub fn authn_request_url(
    sp: &ServiceProvider,
    idp: &IdentityProvider,
    request_id: &str,
    relay_state: &str,
) -> Result<String, Error> {
    let request = AuthnRequest {
        id: request_id.to_owned(),
        version: "2.0".to_owned(),
        issue_instant: Utc::now(),
        destination: Some(idp.sso_url.clone()),
        issuer: Some(Issuer {
            value: Some(sp.entity_id.clone()),
            ..Issuer::default()
        }),
        name_id_policy: Some(NameIdPolicy {
            allow_create: Some(true),
            ..NameIdPolicy::default()
        }),
        force_authn: sp.force_login.then_some(true),
        assertion_consumer_service_url: Some(sp.acs_url.clone()),
        protocol_binding: Some(HTTP_POST_BINDING.to_owned()),
        ..AuthnRequest::default()
    };
    let fail = |error: Box<dyn std::error::Error>| Error::Write(error.to_string());
    let url = if sp.sign_authn_requests {
        request.signed_redirect(relay_state, &sp.private_key()?)
    } else {
        request.redirect(relay_state)
    };
    url.map_err(fail)?
        .map(String::from)
        .ok_or_else(|| Error::Write("the request has no destination".to_owned()))
}
