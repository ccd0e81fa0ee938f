//! A response is accepted only when the identity provider signed it and it was meant for this
//! service provider, now, in answer to this request. Responses are built and signed at run time
//! with the keys in `tests/data` (see its README).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{Duration, Utc};
use latchkey_saml::{Error, IdentityProvider, ServiceProvider, authn_request_url, verify_response};
use samael::crypto::{CertificateDer, Crypto, CryptoProvider, UrlVerifier};
use samael::idp::response_builder::{ResponseAttribute, build_response_template};
use samael::idp::sp_extractor::RequiredAttribute;
use samael::schema::Response;
use samael::signature::{DigestAlgorithm, Signature};
use samael::traits::ToXml;

const IDP_KEY: &[u8] = include_bytes!("data/idp-key.der");
const IDP_CERT: &[u8] = include_bytes!("data/idp-cert.der");
const OTHER_KEY: &[u8] = include_bytes!("data/other-key.der");
const OTHER_CERT: &[u8] = include_bytes!("data/other-cert.der");

const IDP_ENTITY: &str = "http://127.0.0.1:4020/metadata";
const SSO: &str = "http://127.0.0.1:4020/sso";
const ENTITY: &str = "https://login.example/saml/metadata";
const ACS: &str = "https://login.example/saml/callback";
const REQUEST_ID: &str = "_request-1";
const EMAIL_CLAIM: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";

fn idp_metadata(cert: &[u8]) -> String {
    format!(
        r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{IDP_ENTITY}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{SSO}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#,
        STANDARD.encode(cert)
    )
}

fn idp() -> IdentityProvider {
    IdentityProvider::from_metadata(&idp_metadata(IDP_CERT)).unwrap()
}

fn sp() -> ServiceProvider {
    ServiceProvider {
        entity_id: ENTITY.to_owned(),
        acs_url: ACS.to_owned(),
        audience: ENTITY.to_owned(),
        key_pkcs8_der: OTHER_KEY.to_vec(),
        certificate_der: OTHER_CERT.to_vec(),
        sign_authn_requests: false,
        force_login: false,
    }
}

/// What the test identity provider puts in a response; each test changes one thing.
struct Draft {
    audience: String,
    recipient: String,
    destination: String,
    issuer: String,
    in_response_to: String,
    not_on_or_after: chrono::DateTime<Utc>,
    sign_response: bool,
    sign_assertion: bool,
    key: &'static [u8],
    cert: &'static [u8],
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            audience: ENTITY.to_owned(),
            recipient: ACS.to_owned(),
            destination: ACS.to_owned(),
            issuer: IDP_ENTITY.to_owned(),
            in_response_to: REQUEST_ID.to_owned(),
            not_on_or_after: Utc::now() + Duration::minutes(5),
            sign_response: true,
            sign_assertion: false,
            key: IDP_KEY,
            cert: IDP_CERT,
        }
    }
}

impl Draft {
    fn xml(&self) -> String {
        let attributes = [ResponseAttribute {
            required_attribute: RequiredAttribute {
                name: EMAIL_CLAIM.to_owned(),
                format: None,
            },
            value: "ada@example.com",
        }];
        let cert = CertificateDer::from(self.cert.to_vec());
        let mut response: Response = build_response_template(
            &cert,
            "ada@example.com",
            &self.audience,
            &self.issuer,
            &self.destination,
            &self.in_response_to,
            &attributes,
        );
        response.signature = self.sign_response.then(|| sha256(&response.id, &cert));
        let assertion = response.assertion.as_mut().unwrap();
        let conditions = assertion.conditions.as_mut().unwrap();
        conditions.not_before = Some(Utc::now() - Duration::minutes(1));
        conditions.not_on_or_after = Some(self.not_on_or_after);
        let subject = assertion.subject.as_mut().unwrap();
        let confirmation = &mut subject.subject_confirmations.as_mut().unwrap()[0];
        let data = confirmation.subject_confirmation_data.as_mut().unwrap();
        data.recipient = Some(self.recipient.clone());
        data.not_on_or_after = Some(self.not_on_or_after);
        if self.sign_assertion {
            assertion.signature = Some(sha256(&assertion.id, &cert));
        }
        let unsigned = response.to_string().unwrap();
        if self.sign_response || self.sign_assertion {
            Crypto::sign_xml(unsigned, self.key).unwrap()
        } else {
            unsigned
        }
    }

    fn posted(&self) -> String {
        STANDARD.encode(self.xml())
    }
}

/// samael's signature template, with the SHA-256 digest latchkey requires instead of SHA-1.
fn sha256(id: &str, cert: &CertificateDer) -> Signature {
    let mut signature = Signature::template(id, cert);
    for reference in &mut signature.signed_info.reference {
        reference.digest_method.algorithm = DigestAlgorithm::Sha256;
    }
    signature
}

fn verify(posted: &str) -> Result<latchkey_saml::Asserted, Error> {
    verify_response(&sp(), &idp(), posted, REQUEST_ID)
}

fn refused(draft: Draft) -> String {
    match verify(&draft.posted()) {
        Err(Error::Refused(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_signed_response_for_this_request_is_accepted() {
    let asserted = verify(&Draft::default().posted()).unwrap();
    assert_eq!(asserted.name_id, "ada@example.com");
    assert_eq!(asserted.attribute(EMAIL_CLAIM), Some("ada@example.com"));
    assert!(!asserted.assertion_id.is_empty());
    assert!(asserted.not_on_or_after > Utc::now().timestamp());
}

#[test]
fn a_signed_assertion_in_an_unsigned_response_is_accepted() {
    let draft = Draft {
        sign_response: false,
        sign_assertion: true,
        ..Draft::default()
    };
    assert_eq!(verify(&draft.posted()).unwrap().name_id, "ada@example.com");
}

#[test]
fn a_sha1_digest_is_refused() {
    let sha1 = Draft::default().xml().replace(
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    );
    assert!(matches!(
        verify(&STANDARD.encode(sha1)),
        Err(Error::Refused(_))
    ));
}

#[test]
fn an_unsigned_response_is_refused() {
    let draft = Draft {
        sign_response: false,
        ..Draft::default()
    };
    refused(draft);
}

#[test]
fn a_response_changed_after_signing_is_refused() {
    let tampered = Draft::default()
        .xml()
        .replace("ada@example.com", "eve@example.com");
    assert!(matches!(
        verify(&STANDARD.encode(tampered)),
        Err(Error::Refused(_))
    ));
}

#[test]
fn a_response_signed_by_another_key_is_refused() {
    let reason = refused(Draft {
        key: OTHER_KEY,
        cert: OTHER_CERT,
        ..Draft::default()
    });
    assert!(reason.contains("signed"), "{reason}");
}

#[test]
fn an_expired_assertion_is_refused() {
    let reason = refused(Draft {
        not_on_or_after: Utc::now() - Duration::minutes(5),
        ..Draft::default()
    });
    assert!(reason.contains("expired"), "{reason}");
}

#[test]
fn an_assertion_for_another_audience_is_refused() {
    let reason = refused(Draft {
        audience: "https://elsewhere.example/saml/metadata".to_owned(),
        ..Draft::default()
    });
    assert!(reason.contains("Audience"), "{reason}");
}

#[test]
fn an_assertion_for_another_recipient_is_refused() {
    let reason = refused(Draft {
        recipient: "https://elsewhere.example/saml/callback".to_owned(),
        ..Draft::default()
    });
    assert!(reason.contains("Recipient"), "{reason}");
}

#[test]
fn a_response_to_another_destination_is_refused() {
    let reason = refused(Draft {
        destination: "https://elsewhere.example/saml/callback".to_owned(),
        ..Draft::default()
    });
    assert!(reason.contains("destination"), "{reason}");
}

#[test]
fn a_response_from_another_issuer_is_refused() {
    let reason = refused(Draft {
        issuer: "https://elsewhere.example/metadata".to_owned(),
        ..Draft::default()
    });
    assert!(reason.contains("Issuer"), "{reason}");
}

#[test]
fn a_response_to_another_request_is_refused() {
    let reason = refused(Draft {
        in_response_to: "_request-2".to_owned(),
        ..Draft::default()
    });
    assert!(reason.contains("InResponseTo"), "{reason}");
}

#[test]
fn garbage_is_refused() {
    assert!(matches!(verify("not base64!"), Err(Error::Refused(_))));
    assert!(matches!(
        verify(&STANDARD.encode("<nope/>")),
        Err(Error::Refused(_))
    ));
}

#[test]
fn metadata_without_a_signing_certificate_is_unusable() {
    let without = idp_metadata(IDP_CERT).replace(
        &format!(
            "<md:KeyDescriptor use=\"signing\">\n      <ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n        <ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data>\n      </ds:KeyInfo>\n    </md:KeyDescriptor>",
            STANDARD.encode(IDP_CERT)
        ),
        "",
    );
    assert!(!without.contains("KeyDescriptor"));
    assert!(matches!(
        IdentityProvider::from_metadata(&without),
        Err(Error::Metadata(_))
    ));
}

#[test]
fn the_service_provider_metadata_names_the_acs_and_the_certificate() {
    let xml = sp()
        .metadata_xml(std::time::Duration::from_secs(7 * 24 * 3600))
        .unwrap();
    assert!(xml.contains(&format!("entityID=\"{ENTITY}\"")));
    assert!(xml.contains(&format!("Location=\"{ACS}\"")));
    assert!(xml.contains("WantAssertionsSigned=\"true\""));
    assert!(xml.contains("AuthnRequestsSigned=\"false\""));
    assert!(xml.contains(&STANDARD.encode(OTHER_CERT)));
    assert!(
        sp().certificate_pem()
            .starts_with("-----BEGIN CERTIFICATE-----\n")
    );
}

#[test]
fn a_signed_request_carries_sigalg_and_a_signature_over_the_query() {
    let signing = ServiceProvider {
        sign_authn_requests: true,
        force_login: true,
        ..sp()
    };
    let url = authn_request_url(&signing, &idp(), REQUEST_ID, "state").unwrap();
    assert!(url.starts_with(SSO));
    let parsed = url::Url::parse(&url).unwrap();
    let names: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(names, ["SAMLRequest", "RelayState", "SigAlg", "Signature"]);
    let verifier = UrlVerifier::from_x509(&CertificateDer::from(OTHER_CERT.to_vec())).unwrap();
    assert!(verifier.verify_signed_request_url(&parsed).unwrap());

    let unsigned = authn_request_url(&sp(), &idp(), REQUEST_ID, "state").unwrap();
    assert!(!unsigned.contains("Signature="));
}
