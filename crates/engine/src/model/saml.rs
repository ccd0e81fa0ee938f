//! `hanko_public.saml`: sign-in through SAML 2.0 identity providers ("enterprise" sign-in),
//! under the original's key names. latchkey is the service provider; each identity provider is
//! found by the domain of the user's address.

use serde::{Deserialize, Serialize};

use crate::model::third_party::absolute_url;
use crate::{Error, Result};

/// `saml.*`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamlSettings {
    /// Whether pages may sign in through the identity providers.
    pub enabled: bool,
    /// The public URL of this tenant's API; the service provider's entity ID is
    /// `{endpoint_url}/saml/metadata` and its assertion consumer service
    /// `{endpoint_url}/saml/callback`.
    pub endpoint_url: String,
    /// What an assertion's `Audience` must be (usually the entity ID).
    pub audience_uri: String,
    /// Where errors are sent when no started sign-in names a page.
    pub default_redirect_url: String,
    /// Pages a sign-in may return to (globs, as for third-party sign-in), besides
    /// `default_redirect_url`.
    pub allowed_redirect_urls: Vec<String>,
    /// Options of the service provider.
    pub options: SamlOptions,
    /// The identity providers.
    pub identity_providers: Vec<IdentityProviderSettings>,
}

/// `saml.options.*`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamlOptions {
    /// Sign AuthnRequests (HTTP-Redirect query signing with `SigAlg` and `Signature`).
    pub sign_authn_requests: bool,
    /// Ask identity providers to authenticate the user again (`ForceAuthn`).
    pub force_login: bool,
    /// Accepted for the original's configurations; latchkey publishes its certificate for
    /// encryption and decrypts with its own key, so there is nothing to switch.
    pub validate_encryption_cert: bool,
    /// Refused when true: latchkey accepts no assertion whose signature it did not verify.
    pub skip_signature_validation: bool,
    /// Accepted for the original's configurations; the only attribute latchkey needs is the
    /// address, which is always required.
    pub allow_missing_attributes: bool,
}

/// `saml.identity_providers[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentityProviderSettings {
    /// Whether pages may sign in through it.
    #[serde(skip_serializing_if = "is_false")]
    pub enabled: bool,
    /// Its name, for people.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The address domain whose users it signs in (`example.com`); also the provider name of
    /// the identities it creates.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    /// Where its SAML metadata is published; fetched on first use.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub metadata_url: String,
    /// Treat every address it asserts as verified.
    #[serde(skip_serializing_if = "is_false")]
    pub skip_email_verification: bool,
    /// Which attributes carry what; blank entries take the defaults.
    pub attribute_map: AttributeMap,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// `attribute_map.*`: attribute names, as the original lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)]
pub struct AttributeMap {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub family_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub given_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub middle_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nickname: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub preferred_username: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub profile: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub picture: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub website: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gender: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub birthdate: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub zone_info: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub locale: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub updated_at: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email_verified: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub phone: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub phone_verified: String,
}

const CLAIMS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";

impl AttributeMap {
    /// The map with the original's defaults (the WS-Federation claim URIs for the name parts
    /// and the address) in its blank entries.
    pub fn with_defaults(&self) -> Self {
        let mut map = self.clone();
        for (entry, claim) in [
            (&mut map.name, "name"),
            (&mut map.given_name, "givenname"),
            (&mut map.family_name, "surname"),
            (&mut map.email, "emailaddress"),
        ] {
            if entry.is_empty() {
                *entry = format!("{CLAIMS}{claim}");
            }
        }
        map
    }
}

impl SamlSettings {
    /// The enabled identity provider for `domain` (case-insensitive).
    pub fn identity_provider(&self, domain: &str) -> Option<&IdentityProviderSettings> {
        self.identity_providers
            .iter()
            .find(|idp| idp.enabled && idp.domain.eq_ignore_ascii_case(domain))
    }

    /// Whether SAML sign-in is on with at least one identity provider
    /// (`/.well-known/config`'s `use_enterprise`).
    pub fn in_use(&self) -> bool {
        self.enabled && self.identity_providers.iter().any(|idp| idp.enabled)
    }

    /// The service provider's entity ID.
    pub fn entity_id(&self) -> String {
        format!("{}/saml/metadata", self.endpoint_url.trim_end_matches('/'))
    }

    /// The assertion consumer service.
    pub fn acs_url(&self) -> String {
        format!("{}/saml/callback", self.endpoint_url.trim_end_matches('/'))
    }

    /// Refuses settings a sign-in could not work with, naming the key.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field, reason: &str| {
            Err(Error::Invalid {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.options.skip_signature_validation {
            return invalid(
                "saml.options.skip_signature_validation",
                "latchkey accepts no assertion whose signature it did not verify",
            );
        }
        if !self.enabled {
            return Ok(());
        }
        absolute_url("saml.endpoint_url", &self.endpoint_url)?;
        absolute_url("saml.default_redirect_url", &self.default_redirect_url)?;
        if self.audience_uri.trim().is_empty() || self.audience_uri.contains(char::is_whitespace) {
            return invalid("saml.audience_uri", "required, without spaces");
        }
        for (index, idp) in self.identity_providers.iter().enumerate() {
            if !domain_name(&idp.domain) {
                return invalid(
                    "saml.identity_providers.*.domain",
                    "must be a fully qualified domain name",
                );
            }
            let repeated = self
                .identity_providers
                .iter()
                .take(index)
                .any(|other| other.domain.eq_ignore_ascii_case(&idp.domain));
            if repeated {
                return invalid(
                    "saml.identity_providers.*.domain",
                    "each domain names one identity provider",
                );
            }
            if idp.name.trim().is_empty() {
                return invalid("saml.identity_providers.*.name", "required");
            }
            absolute_url("saml.identity_providers.*.metadata_url", &idp.metadata_url)?;
        }
        Ok(())
    }
}

/// A domain name of at least two labels of letters, digits and hyphens, as the original's
/// `fqdn` rule.
fn domain_name(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    labels.len() >= 2
        && text.len() <= 253
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled() -> SamlSettings {
        SamlSettings {
            enabled: true,
            endpoint_url: "https://login.example".to_owned(),
            audience_uri: "https://login.example/saml/metadata".to_owned(),
            default_redirect_url: "https://app.example".to_owned(),
            allowed_redirect_urls: vec!["https://app.example/**".to_owned()],
            options: SamlOptions::default(),
            identity_providers: vec![IdentityProviderSettings {
                enabled: true,
                name: "Corp".to_owned(),
                domain: "corp.example".to_owned(),
                metadata_url: "https://idp.corp.example/metadata".to_owned(),
                ..IdentityProviderSettings::default()
            }],
        }
    }

    #[test]
    fn disabled_needs_nothing_and_enabled_needs_urls() {
        assert!(SamlSettings::default().validate().is_ok());
        assert!(enabled().validate().is_ok());
        let mut no_endpoint = enabled();
        no_endpoint.endpoint_url.clear();
        assert!(no_endpoint.validate().is_err());
        let mut no_audience = enabled();
        no_audience.audience_uri.clear();
        assert!(no_audience.validate().is_err());
    }

    #[test]
    fn skipping_signature_validation_is_refused_even_when_disabled() {
        let mut skip = SamlSettings::default();
        skip.options.skip_signature_validation = true;
        assert!(skip.validate().is_err());
    }

    #[test]
    fn domains_are_fully_qualified_and_unique() {
        for bad in [
            "localhost",
            "",
            "corp..example",
            "-corp.example",
            "corp.123",
        ] {
            let mut settings = enabled();
            settings.identity_providers[0].domain = bad.to_owned();
            assert!(settings.validate().is_err(), "{bad}");
        }
        let mut twice = enabled();
        let mut second = twice.identity_providers[0].clone();
        second.domain = "CORP.example".to_owned();
        twice.identity_providers.push(second);
        assert!(twice.validate().is_err());
    }

    #[test]
    fn providers_are_found_by_domain_when_enabled() {
        let mut settings = enabled();
        assert!(settings.identity_provider("Corp.Example").is_some());
        assert!(settings.in_use());
        settings.identity_providers[0].enabled = false;
        assert!(settings.identity_provider("corp.example").is_none());
        assert!(!settings.in_use());
    }

    #[test]
    fn blank_attribute_names_take_the_defaults() {
        let map = AttributeMap {
            email_verified: "verified".to_owned(),
            ..AttributeMap::default()
        }
        .with_defaults();
        assert_eq!(
            map.email,
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
        );
        assert_eq!(map.email_verified, "verified");
    }
}
