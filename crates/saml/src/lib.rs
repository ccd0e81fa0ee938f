//! latchkey's side of SAML 2.0 sign-in, and nothing else of latchkey: the service provider's
//! metadata, the AuthnRequest as an HTTP-Redirect URL, and the verification of a POSTed
//! `SAMLResponse` against the identity provider's metadata.
//!
//! XML signatures are verified by libxmlsec1 through samael: signed content is reduced to what
//! the signatures cover before anything is read from it, so an assertion that no trusted
//! certificate signed is never looked at. The checks beyond samael's (required conditions,
//! audience, NameID) are the ones Hanko v0.12's gosaml2 makes, or stricter.

mod metadata;
mod request;
mod response;

use openssl::pkey::{PKey, Private};

pub use metadata::{IdentityProvider, MetadataCache};
pub use request::authn_request_url;
pub use response::{Asserted, verify_response};

/// How an operation with SAML failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The identity provider's metadata could not be fetched.
    #[error("the identity provider's metadata could not be fetched: {0}")]
    Fetch(String),
    /// The identity provider's metadata is unusable (no signing certificate, no
    /// HTTP-Redirect sign-on service, not metadata at all).
    #[error("the identity provider's metadata is unusable: {0}")]
    Metadata(String),
    /// The service provider's own key or certificate is unusable.
    #[error("the service provider's key is unusable: {0}")]
    Key(String),
    /// An AuthnRequest or the SP metadata could not be written.
    #[error("SAML message could not be written: {0}")]
    Write(String),
    /// A response was refused: not base64, not SAML, not signed by the identity provider, or
    /// failing a check (destination, issuer, status, audience, recipient, time, request).
    #[error("{0}")]
    Refused(String),
}

/// The service provider's side of one tenant, as the original derives it from `endpoint_url`.
#[derive(Clone)]
pub struct ServiceProvider {
    /// The entity ID, `{endpoint_url}/saml/metadata`; also the Issuer of requests.
    pub entity_id: String,
    /// The assertion consumer service, `{endpoint_url}/saml/callback`.
    pub acs_url: String,
    /// What an assertion's `Audience` must be (`saml.audience_uri`).
    pub audience: String,
    /// The private key, PKCS#8 DER (RSA).
    pub key_pkcs8_der: Vec<u8>,
    /// The self-signed certificate of that key, DER.
    pub certificate_der: Vec<u8>,
    /// Sign AuthnRequests (standard HTTP-Redirect query signing).
    pub sign_authn_requests: bool,
    /// Ask the identity provider to authenticate the user again (`ForceAuthn`).
    pub force_login: bool,
}

impl std::fmt::Debug for ServiceProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceProvider")
            .field("entity_id", &self.entity_id)
            .field("acs_url", &self.acs_url)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl ServiceProvider {
    /// The certificate as PEM text.
    pub fn certificate_pem(&self) -> String {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::STANDARD.encode(&self.certificate_der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }

    fn private_key(&self) -> Result<PKey<Private>, Error> {
        PKey::private_key_from_pkcs8(&self.key_pkcs8_der)
            .map_err(|error| Error::Key(error.to_string()))
    }
}
