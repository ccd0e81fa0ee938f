//! Both sides' metadata: the identity provider's, fetched on first use and kept for a while,
//! and the service provider's, written for the identity provider's administrator.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use samael::key_info::{KeyInfo, X509Data};
use samael::metadata::{
    EncryptionMethod, EntityDescriptor, HTTP_POST_BINDING, HTTP_REDIRECT_BINDING, IndexedEndpoint,
    KeyDescriptor, SpSsoDescriptor,
};
use samael::traits::ToXml;
use tokio::sync::Mutex;

use crate::{Error, ServiceProvider};

/// How long fetched metadata is used before it is fetched again.
const METADATA_TTL: Duration = Duration::from_secs(600);

/// How long an identity provider may take to serve its metadata.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Metadata larger than this is refused: real metadata is a few kilobytes.
const MAX_METADATA_BYTES: usize = 1 << 20;

/// What latchkey takes from an identity provider's metadata.
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    /// The entity ID, which responses and assertions must name as their Issuer.
    pub entity_id: String,
    /// Where AuthnRequests go (the first HTTP-Redirect single sign-on service).
    pub sso_url: String,
    /// The metadata as parsed, for samael's checks.
    pub(crate) descriptor: EntityDescriptor,
}

impl IdentityProvider {
    /// Reads an identity provider's metadata. It must name an entity ID, an HTTP-Redirect
    /// single sign-on service and at least one signing certificate: without a certificate
    /// nothing it sends could be verified.
    pub fn from_metadata(xml: &str) -> Result<Self, Error> {
        let descriptor: EntityDescriptor = xml
            .parse()
            .map_err(|error| Error::Metadata(format!("not SAML metadata: {error}")))?;
        let entity_id = descriptor
            .entity_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Error::Metadata("no entityID".to_owned()))?;
        let idp = descriptor
            .idp_sso_descriptors
            .as_deref()
            .and_then(<[_]>::first)
            .ok_or_else(|| Error::Metadata("no IDPSSODescriptor".to_owned()))?;
        let sso_url = idp
            .single_sign_on_services
            .iter()
            .find(|service| service.binding == HTTP_REDIRECT_BINDING)
            .map(|service| service.location.clone())
            .ok_or_else(|| {
                Error::Metadata("no SingleSignOnService with the HTTP-Redirect binding".to_owned())
            })?;
        let certificates = samael::service_provider::ServiceProvider {
            idp_metadata: descriptor.clone(),
            ..Default::default()
        }
        .idp_signing_certs()
        .map_err(|error| Error::Metadata(error.to_string()))?;
        if certificates.is_none_or(|certificates| certificates.is_empty()) {
            return Err(Error::Metadata("no signing certificate".to_owned()));
        }
        Ok(Self {
            entity_id,
            sso_url,
            descriptor,
        })
    }
}

/// Identity providers' metadata by URL, fetched when a sign-in first needs it (so latchkey
/// starts whether or not the identity providers are up) and again after ten minutes.
#[derive(Debug, Default)]
pub struct MetadataCache {
    http: OnceLock<Result<reqwest::Client, String>>,
    fetched: Mutex<HashMap<String, (Instant, Arc<IdentityProvider>)>>,
}

impl MetadataCache {
    fn http(&self) -> Result<&reqwest::Client, Error> {
        self.http
            .get_or_init(|| {
                // reqwest's rustls needs a process-wide provider; another part of the server
                // may have installed the same one first, which is fine.
                let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(FETCH_TIMEOUT)
                    .user_agent("latchkey")
                    .build()
                    .map_err(|error| error.to_string())
            })
            .as_ref()
            .map_err(|error| Error::Fetch(error.clone()))
    }

    /// The identity provider whose metadata `url` serves.
    pub async fn get(&self, url: &str) -> Result<Arc<IdentityProvider>, Error> {
        if let Some((at, idp)) = self.fetched.lock().await.get(url)
            && at.elapsed() < METADATA_TTL
        {
            return Ok(Arc::clone(idp));
        }
        let idp = Arc::new(self.fetch(url).await?);
        self.fetched
            .lock()
            .await
            .insert(url.to_owned(), (Instant::now(), Arc::clone(&idp)));
        Ok(idp)
    }

    async fn fetch(&self, url: &str) -> Result<IdentityProvider, Error> {
        let fail = |error: reqwest::Error| Error::Fetch(error.to_string());
        let response = self.http()?.get(url).send().await.map_err(fail)?;
        let response = response.error_for_status().map_err(fail)?;
        let body = response.bytes().await.map_err(fail)?;
        if body.len() > MAX_METADATA_BYTES {
            return Err(Error::Metadata("larger than a megabyte".to_owned()));
        }
        let text =
            std::str::from_utf8(&body).map_err(|_| Error::Metadata("not UTF-8 text".to_owned()))?;
        IdentityProvider::from_metadata(text)
    }
}

impl ServiceProvider {
    /// The service provider's metadata, valid for `valid_for` from now: the ACS (HTTP-POST), whether
    /// requests are signed, that assertions must be signed, and the certificate for signing
    /// and for encryption, as the original publishes them.
    pub fn metadata_xml(&self, valid_for: Duration) -> Result<String, Error> {
        let valid_for = chrono::Duration::from_std(valid_for)
            .map_err(|_| Error::Write("validity out of range".to_owned()))?;
        let valid_until = Utc::now() + valid_for;
        let key_info = KeyInfo {
            id: None,
            x509_data: Some(X509Data {
                certificates: vec![STANDARD.encode(&self.certificate_der)],
            }),
        };
        let descriptor = SpSsoDescriptor {
            valid_until: Some(valid_until),
            protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".to_owned()),
            key_descriptors: Some(vec![
                KeyDescriptor {
                    key_use: Some("signing".to_owned()),
                    key_info: key_info.clone(),
                    encryption_methods: None,
                },
                KeyDescriptor {
                    key_use: Some("encryption".to_owned()),
                    key_info,
                    encryption_methods: Some(vec![EncryptionMethod {
                        algorithm: "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p".to_owned(),
                    }]),
                },
            ]),
            authn_requests_signed: Some(self.sign_authn_requests),
            want_assertions_signed: Some(true),
            assertion_consumer_services: vec![IndexedEndpoint {
                binding: HTTP_POST_BINDING.to_owned(),
                location: self.acs_url.clone(),
                response_location: None,
                index: 1,
                is_default: None,
            }],
            ..SpSsoDescriptor::default()
        };
        EntityDescriptor {
            entity_id: Some(self.entity_id.clone()),
            valid_until: Some(valid_until),
            sp_sso_descriptors: Some(vec![descriptor]),
            ..EntityDescriptor::default()
        }
        .to_string()
        .map_err(|error| Error::Write(error.to_string()))
    }
}
