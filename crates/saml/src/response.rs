//! Verification of a POSTed `SAMLResponse`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use samael::crypto::AllowedSignatureAlgorithm;
use samael::schema::Assertion;

use crate::{Error, IdentityProvider, ServiceProvider};

/// How far the identity provider's clock may be off from latchkey's.
const CLOCK_SKEW: Duration = Duration::seconds(60);

/// How old a response or assertion may be (from its IssueInstant) when it arrives: the
/// identity provider's page posts it at once.
const MAX_ISSUE_DELAY: Duration = Duration::minutes(3);

/// A `SAMLResponse` larger than this is refused before it is decoded.
const MAX_RESPONSE_BYTES: usize = 512 * 1024;

const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// Signature algorithms accepted: SHA-1 is not.
const ALGORITHMS: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

/// What a verified assertion says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asserted {
    /// The subject's NameID.
    pub name_id: String,
    /// The assertion's ID, for replay protection.
    pub assertion_id: String,
    /// Unix seconds from which the assertion is no longer accepted (its Conditions' or its
    /// bearer confirmation's NotOnOrAfter, whichever is earlier): how long its ID must be
    /// remembered.
    pub not_on_or_after: i64,
    /// The attributes by name, each with its values, in the assertion's order.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Asserted {
    /// The first value of the attribute `name`, if the assertion has one.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, values)| values.first())
            .map(String::as_str)
    }
}

/// Verifies `saml_response` (the base64 form field) as the answer of `idp` to the
/// AuthnRequest `request_id` of `sp`.
///
/// Refused unless: every XML signature in it verifies with a certificate of the identity
/// provider's metadata, and the Response or its assertion is signed (only what a signature
/// covers is read); a signed Response's Destination is the ACS; the Issuers are the identity
/// provider's entity ID; the Status is Success; the response answers `request_id`; the
/// assertion has Conditions with NotBefore and NotOnOrAfter that hold now (give or take a
/// minute), an AudienceRestriction naming `sp.audience`, a bearer SubjectConfirmation whose
/// Recipient is the ACS and whose NotOnOrAfter has not passed, and a NameID.
pub fn verify_response(
    sp: &ServiceProvider,
    idp: &IdentityProvider,
    saml_response: &str,
    request_id: &str,
) -> Result<Asserted, Error> {
    if saml_response.len() > MAX_RESPONSE_BYTES {
        return Err(Error::Refused("SAMLResponse is too large".to_owned()));
    }
    // Some identity providers wrap the base64 in lines.
    let compact: String = saml_response
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = STANDARD
        .decode(compact)
        .map_err(|_| Error::Refused("SAMLResponse is not base64".to_owned()))?;
    let xml = String::from_utf8(bytes)
        .map_err(|_| Error::Refused("SAMLResponse is not UTF-8 XML".to_owned()))?;
    let checker = samael::service_provider::ServiceProvider {
        // samael compares the Audience with its entity ID; the original with `audience_uri`.
        entity_id: Some(sp.audience.clone()),
        key: Some(sp.private_key()?),
        acs_url: Some(sp.acs_url.clone()),
        idp_metadata: idp.descriptor.clone(),
        max_issue_delay: MAX_ISSUE_DELAY,
        max_clock_skew: CLOCK_SKEW,
        allowed_signature_algorithms: Some(ALGORITHMS.to_vec()),
        ..Default::default()
    };
    let assertion = checker
        .parse_xml_response(&xml, Some(&[request_id]))
        .map_err(|error| Error::Refused(error.to_string()))?;
    asserted(&assertion, &sp.audience, Utc::now())
}

/// The checks gosaml2 makes that samael leaves optional, on an assertion samael verified.
fn asserted(assertion: &Assertion, audience: &str, now: DateTime<Utc>) -> Result<Asserted, Error> {
    let refused = |reason: &str| Err(Error::Refused(reason.to_owned()));
    let Some(conditions) = &assertion.conditions else {
        return refused("SAML assertion has no Conditions");
    };
    let (Some(not_before), Some(conditions_end)) =
        (conditions.not_before, conditions.not_on_or_after)
    else {
        return refused("SAML assertion Conditions need NotBefore and NotOnOrAfter");
    };
    if now + CLOCK_SKEW < not_before || conditions_end + CLOCK_SKEW <= now {
        return refused("SAML assertion expired");
    }
    let in_audience = conditions
        .audience_restrictions
        .iter()
        .flatten()
        .any(|restriction| restriction.audience.iter().any(|a| a == audience));
    if !in_audience {
        return refused("not in SAML audience");
    }
    let subject = assertion.subject.as_ref();
    let name_id = subject
        .and_then(|subject| subject.name_id.as_ref())
        .map(|name_id| name_id.value.trim().to_owned())
        .filter(|value| !value.is_empty());
    let Some(name_id) = name_id else {
        return refused("SAML assertion has no NameID");
    };
    // samael accepted a bearer confirmation with a NotOnOrAfter; the earliest one bounds how
    // long the assertion could be replayed.
    let confirmation_end = subject
        .and_then(|subject| subject.subject_confirmations.as_ref())
        .into_iter()
        .flatten()
        .filter(|confirmation| confirmation.method.as_deref() == Some(BEARER))
        .filter_map(|confirmation| confirmation.subject_confirmation_data.as_ref())
        .filter_map(|data| data.not_on_or_after)
        .min();
    let end = confirmation_end.map_or(conditions_end, |end| end.min(conditions_end));
    if assertion.id.trim().is_empty() {
        return refused("SAML assertion has no ID");
    }
    let attributes = assertion
        .attribute_statements
        .iter()
        .flatten()
        .flat_map(|statement| &statement.attributes)
        .filter_map(|attribute| {
            let name = attribute.name.clone()?;
            let values = attribute
                .values
                .iter()
                .filter_map(|value| value.value.clone())
                .collect();
            Some((name, values))
        })
        .collect();
    Ok(Asserted {
        name_id,
        assertion_id: assertion.id.clone(),
        not_on_or_after: (end + CLOCK_SKEW).timestamp(),
        attributes,
    })
}
