//! Sign-in through a SAML 2.0 identity provider: which provider serves a domain, the state that
//! rides in RelayState, the service provider's key and certificate, and what a verified
//! assertion means for the tenant's users. The SAML messages themselves (and their signatures)
//! are the `latchkey-saml` crate's; the dialect hands its verdict to [`Engine::finish_saml`].

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::RsaKeyPair;
use time::{Duration, OffsetDateTime};

use super::public_config;
use super::third_party::{ProviderUser, ThirdPartyLogin, ThirdPartyState, redirect_allowed};
use crate::audit::RequestMeta;
use crate::model::saml::{IdentityProviderSettings, SamlSettings};
use crate::model::{Tenant, TenantId};
use crate::{Engine, Error, Result, Store, WriteTx};

/// The prefix of a SAML sign-in's provider in its state: `saml:<domain>`.
pub const SAML_STATE_PREFIX: &str = "saml:";

/// How long the service provider's certificate is valid, as the original's.
const CERTIFICATE_LIFETIME: Duration = Duration::days(365);

/// The service provider's key and certificate of a tenant.
pub struct SamlCredentials {
    /// The RSA-2048 private key, PKCS#8 DER.
    pub key_pkcs8_der: Vec<u8>,
    /// Its self-signed certificate (CN = the service's name), DER.
    pub certificate_der: Vec<u8>,
}

impl std::fmt::Debug for SamlCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlCredentials").finish_non_exhaustive()
    }
}

/// A started SAML sign-in.
#[derive(Debug, Clone)]
pub struct SamlStart {
    /// The identity provider.
    pub provider: IdentityProviderSettings,
    /// The AuthnRequest's ID, which the response must answer.
    pub request_id: String,
    /// The state sealed, for RelayState.
    pub sealed: String,
}

/// What the identity provider asserted, as the `latchkey-saml` crate verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlAssertion {
    /// The subject's NameID.
    pub name_id: String,
    /// The assertion's ID.
    pub assertion_id: String,
    /// Unix seconds from which the assertion is refused anyway.
    pub not_on_or_after: i64,
    /// The attributes by name, with their values.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl SamlAssertion {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, values)| values.first())
            .map(|value| value.trim())
    }
}

/// The AuthnRequest ID of a state: its nonce, made an XML name.
pub fn saml_request_id(state: &ThirdPartyState) -> String {
    format!("_{}", state.nonce)
}

fn saml_settings(tenant: &Tenant) -> Result<&SamlSettings> {
    let settings = &public_config(tenant)?.saml;
    if settings.enabled {
        Ok(settings)
    } else {
        Err(Error::Invalid {
            field: "saml",
            reason: "SAML sign-in is not enabled".to_owned(),
        })
    }
}

fn unknown_domain(domain: &str) -> Error {
    Error::Invalid {
        field: "domain",
        reason: format!("no SAML identity provider for the domain '{domain}'"),
    }
}

/// The provider user an assertion names, with the identity provider's attribute map: the
/// address is required; it counts as verified when the provider is trusted to verify
/// (`skip_email_verification`) or the mapped `email_verified` attribute is present and not
/// `false` or `0`.
fn provider_user(
    idp: &IdentityProviderSettings,
    assertion: &SamlAssertion,
) -> Result<ProviderUser> {
    let map = idp.attribute_map.with_defaults();
    let email = assertion
        .attribute(&map.email)
        .filter(|email| !email.is_empty())
        .ok_or_else(|| Error::Invalid {
            field: "SAMLResponse",
            reason: format!("the assertion has no '{}' attribute", map.email),
        })?;
    let asserted_verified = !map.email_verified.is_empty()
        && assertion
            .attribute(&map.email_verified)
            .is_some_and(|value| {
                !value.is_empty() && !value.eq_ignore_ascii_case("false") && value != "0"
            });
    Ok(ProviderUser {
        provider: idp.domain.to_ascii_lowercase(),
        subject: assertion.name_id.clone(),
        email: email.to_owned(),
        email_verified: idp.skip_email_verification || asserted_verified,
    })
}

impl<S: Store> Engine<S> {
    /// The tenant's SAML settings, if SAML sign-in is enabled.
    pub async fn saml_settings(&self, tenant: TenantId) -> Result<SamlSettings> {
        let tenant = self.accounts_tenant(tenant).await?;
        saml_settings(&tenant).cloned()
    }

    /// The enabled identity provider for `domain`.
    pub async fn saml_identity_provider(
        &self,
        tenant: TenantId,
        domain: &str,
    ) -> Result<IdentityProviderSettings> {
        let tenant = self.accounts_tenant(tenant).await?;
        saml_settings(&tenant)?
            .identity_provider(domain)
            .cloned()
            .ok_or_else(|| unknown_domain(domain))
    }

    /// The tenant's service-provider key and certificate, made on first use: RSA-2048,
    /// self-signed with the service's name as CN, the key sealed under the master key.
    pub async fn saml_credentials(&self, tenant: TenantId) -> Result<SamlCredentials> {
        let tenant: Arc<Tenant> = self.accounts_tenant(tenant).await?;
        let common_name = public_config(&tenant)?.service.name.clone();
        let now = self.now();
        let opened = self
            .service_secret(&format!("saml service provider {}", tenant.id.0), || {
                self_signed(&common_name, now)
            })
            .await?;
        Ok(SamlCredentials {
            key_pkcs8_der: opened.secret,
            certificate_der: opened.public,
        })
    }

    /// Starts a sign-in at the identity provider of `domain` that returns to `redirect_to`,
    /// which must be allowed (or be the default page).
    pub async fn start_saml(
        &self,
        tenant: TenantId,
        domain: &str,
        redirect_to: &str,
    ) -> Result<SamlStart> {
        let tenant = self.accounts_tenant(tenant).await?;
        let settings = saml_settings(&tenant)?;
        let provider = settings
            .identity_provider(domain)
            .cloned()
            .ok_or_else(|| unknown_domain(domain))?;
        let redirect_to = redirect_to.trim_end_matches('/');
        if !redirect_allowed(&settings.allowed_redirect_urls, redirect_to)
            && redirect_to != settings.default_redirect_url.trim_end_matches('/')
        {
            return Err(Error::Invalid {
                field: "redirect_to",
                reason: format!("redirect to '{redirect_to}' not allowed"),
            });
        }
        let name = format!(
            "{SAML_STATE_PREFIX}{}",
            provider.domain.to_ascii_lowercase()
        );
        let state = self.new_third_party_state(&name, redirect_to, false)?;
        let sealed = self.seal_third_party_state(tenant.id, &state)?;
        Ok(SamlStart {
            provider,
            request_id: saml_request_id(&state),
            sealed,
        })
    }

    /// The started sign-in a response's RelayState belongs to, once: the state must open, not
    /// have served a response before, and name an identity provider that is still enabled.
    pub async fn resume_saml(
        &self,
        tenant: TenantId,
        relay_state: &str,
    ) -> Result<(ThirdPartyState, IdentityProviderSettings)> {
        let tenant = self.accounts_tenant(tenant).await?;
        let state = self.open_third_party_state(tenant.id, relay_state)?;
        let domain = state
            .provider
            .strip_prefix(SAML_STATE_PREFIX)
            .ok_or(Error::Token("state is not a SAML sign-in's"))?;
        let provider = saml_settings(&tenant)?
            .identity_provider(domain)
            .cloned()
            .ok_or_else(|| unknown_domain(domain))?;
        let expires_at = OffsetDateTime::from_unix_timestamp(state.expires_at)
            .map_err(|_| Error::Token("state expiry out of range"))?;
        let scope = format!("saml state {}", tenant.id.0);
        self.claim_once(&scope, &state.nonce, expires_at, "state was already used")
            .await?;
        Ok((state, provider))
    }

    /// Signs in the user a verified assertion names, with the linking rules (linking always
    /// allowed, as the original). An assertion serves one sign-in: its ID is remembered until
    /// it would be refused anyway.
    pub async fn finish_saml(
        &self,
        tenant: TenantId,
        provider: &IdentityProviderSettings,
        assertion: &SamlAssertion,
        meta: &RequestMeta,
    ) -> Result<ThirdPartyLogin> {
        let who = provider_user(provider, assertion)?;
        let until = OffsetDateTime::from_unix_timestamp(assertion.not_on_or_after)
            .map_err(|_| Error::Token("assertion expiry out of range"))?;
        let scope = format!("saml assertion {}", tenant.0);
        self.claim_once(
            &scope,
            &assertion.assertion_id,
            until,
            "assertion was already used",
        )
        .await?;
        self.third_party_login(tenant, &who, true, meta).await
    }

    async fn claim_once(
        &self,
        scope: &str,
        value: &str,
        until: OffsetDateTime,
        replayed: &'static str,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        if !tx.claim_nonce(scope, value, self.now(), until).await? {
            return Err(Error::Token(replayed));
        }
        tx.commit().await
    }
}

/// A new RSA-2048 key (PKCS#8 DER) and its self-signed certificate (DER).
fn self_signed(common_name: &str, now: OffsetDateTime) -> Result<(Vec<u8>, Vec<u8>)> {
    let failed = |_| Error::Crypto("SAML certificate generation failed");
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?;
    let pkcs8 = pair.as_der().map_err(failed)?.as_ref().to_vec();
    let key = rcgen::KeyPair::try_from(pkcs8.as_slice())
        .map_err(|_| Error::Crypto("SAML certificate generation failed"))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|_| Error::Crypto("SAML certificate generation failed"))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.not_before = now;
    params.not_after = now + CERTIFICATE_LIFETIME;
    let certificate = params
        .self_signed(&key)
        .map_err(|_| Error::Crypto("SAML certificate generation failed"))?;
    Ok((pkcs8, certificate.der().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::saml::AttributeMap;

    fn assertion(attributes: &[(&str, &str)]) -> SamlAssertion {
        SamlAssertion {
            name_id: "ada".to_owned(),
            assertion_id: "_a1".to_owned(),
            not_on_or_after: 0,
            attributes: attributes
                .iter()
                .map(|(name, value)| ((*name).to_owned(), vec![(*value).to_owned()]))
                .collect(),
        }
    }

    fn corp(email_verified: &str) -> IdentityProviderSettings {
        IdentityProviderSettings {
            enabled: true,
            domain: "Corp.Example".to_owned(),
            attribute_map: AttributeMap {
                email: "mail".to_owned(),
                email_verified: email_verified.to_owned(),
                ..AttributeMap::default()
            },
            ..IdentityProviderSettings::default()
        }
    }

    #[test]
    fn the_mapped_attributes_name_the_user() {
        let who = provider_user(
            &corp("verified"),
            &assertion(&[("mail", "ada@corp.example"), ("verified", "true")]),
        )
        .unwrap();
        assert_eq!(who.provider, "corp.example");
        assert_eq!(who.subject, "ada");
        assert_eq!(who.email, "ada@corp.example");
        assert!(who.email_verified);
    }

    #[test]
    fn an_address_is_verified_only_when_the_provider_says_so() {
        let mail = ("mail", "ada@corp.example");
        for (map, attributes, verified) in [
            ("", vec![mail], false),
            ("verified", vec![mail], false),
            ("verified", vec![mail, ("verified", "")], false),
            ("verified", vec![mail, ("verified", "false")], false),
            ("verified", vec![mail, ("verified", "0")], false),
            ("verified", vec![mail, ("verified", "yes")], true),
        ] {
            let who = provider_user(&corp(map), &assertion(&attributes)).unwrap();
            assert_eq!(who.email_verified, verified, "{map} {attributes:?}");
        }
        let mut trusted = corp("");
        trusted.skip_email_verification = true;
        assert!(
            provider_user(&trusted, &assertion(&[mail]))
                .unwrap()
                .email_verified
        );
    }

    #[test]
    fn an_assertion_without_an_address_is_refused() {
        assert!(provider_user(&corp(""), &assertion(&[("mail", " ")])).is_err());
        assert!(provider_user(&corp(""), &assertion(&[])).is_err());
    }

    #[test]
    fn the_certificate_is_self_signed_for_the_service() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let (key, certificate) = self_signed("Example Service", now).unwrap();
        assert!(RsaKeyPair::from_pkcs8(&key).is_ok());
        let (_, parsed) = x509_parser::parse_x509_certificate(&certificate).unwrap();
        assert_eq!(parsed.subject().to_string(), "CN=Example Service");
        assert_eq!(parsed.issuer(), parsed.subject());
        assert_eq!(parsed.validity().not_before.timestamp(), 1_800_000_000);
    }
}
