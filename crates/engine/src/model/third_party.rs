//! `hanko_public.third_party`: sign-in through OAuth 2.0 / OpenID Connect providers, under the
//! original's key names. Beyond v0.12, each built-in provider's endpoints can be overridden
//! (`issuer` for the OpenID ones), and `custom_providers` adds any OpenID provider by its
//! issuer, as later Hanko versions do; both are how a deployment (or a test) points latchkey
//! at a provider of its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// `third_party.*`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThirdPartySettings {
    /// latchkey's callback URL as registered at the providers (`.../thirdparty/callback`).
    pub redirect_url: String,
    /// Where errors are sent when no page asked for anything else.
    pub error_redirect_url: String,
    /// Pages a sign-in may return to: globs where `*` stays within a host label or path
    /// segment and `**` crosses them.
    pub allowed_redirect_urls: Vec<String>,
    /// The built-in providers.
    pub providers: BuiltInProviders,
    /// Further OpenID providers by key; their name on the wire is `custom_<key>`.
    pub custom_providers: BTreeMap<String, CustomProvider>,
}

/// `third_party.providers.*`, in the order `/.well-known/config` lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BuiltInProviders {
    /// Google (OpenID Connect).
    pub google: ProviderSettings,
    /// GitHub (OAuth 2.0 and its user API).
    pub github: ProviderSettings,
    /// Sign in with Apple (OpenID Connect, `form_post`).
    pub apple: ProviderSettings,
    /// Discord (OAuth 2.0 and its user API).
    pub discord: ProviderSettings,
    /// Microsoft identity platform (OpenID Connect, any directory).
    pub microsoft: ProviderSettings,
    /// LinkedIn (OpenID Connect).
    pub linkedin: ProviderSettings,
}

/// The built-in providers' names on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltInProvider {
    /// `google`.
    Google,
    /// `github`.
    GitHub,
    /// `apple`.
    Apple,
    /// `discord`.
    Discord,
    /// `microsoft`.
    Microsoft,
    /// `linkedin`.
    LinkedIn,
}

impl BuiltInProvider {
    /// Every built-in provider in `/.well-known/config`'s order.
    pub const ALL: [Self; 6] = [
        Self::Google,
        Self::GitHub,
        Self::Apple,
        Self::Discord,
        Self::Microsoft,
        Self::LinkedIn,
    ];

    /// The name in requests and in identities.
    pub fn name(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::GitHub => "github",
            Self::Apple => "apple",
            Self::Discord => "discord",
            Self::Microsoft => "microsoft",
            Self::LinkedIn => "linkedin",
        }
    }

    /// The name `/.well-known/config` shows.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::GitHub => "GitHub",
            Self::Apple => "Apple",
            Self::Discord => "Discord",
            Self::Microsoft => "Microsoft",
            Self::LinkedIn => "LinkedIn",
        }
    }

    /// The provider named `name` (case-insensitive, as the original).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.name().eq_ignore_ascii_case(name))
    }
}

impl BuiltInProviders {
    /// The settings of `provider`.
    pub fn get(&self, provider: BuiltInProvider) -> &ProviderSettings {
        match provider {
            BuiltInProvider::Google => &self.google,
            BuiltInProvider::GitHub => &self.github,
            BuiltInProvider::Apple => &self.apple,
            BuiltInProvider::Discord => &self.discord,
            BuiltInProvider::Microsoft => &self.microsoft,
            BuiltInProvider::LinkedIn => &self.linkedin,
        }
    }

    /// The settings of `provider`, to change.
    pub fn get_mut(&mut self, provider: BuiltInProvider) -> &mut ProviderSettings {
        match provider {
            BuiltInProvider::Google => &mut self.google,
            BuiltInProvider::GitHub => &mut self.github,
            BuiltInProvider::Apple => &mut self.apple,
            BuiltInProvider::Discord => &mut self.discord,
            BuiltInProvider::Microsoft => &mut self.microsoft,
            BuiltInProvider::LinkedIn => &mut self.linkedin,
        }
    }
}

/// One built-in provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderSettings {
    /// Whether pages may sign in with it.
    pub enabled: bool,
    /// latchkey's client id at the provider.
    pub client_id: String,
    /// latchkey's client secret at the provider; written, never shown.
    pub secret: String,
    /// Whether a sign-in with an address a user already holds links the provider account to
    /// that user (instead of refusing with `user_conflict`).
    pub allow_linking: bool,
    /// The OpenID issuer whose discovery document to use instead of the provider's own
    /// (Google, Apple, Microsoft, LinkedIn); empty for the provider's.
    pub issuer: String,
    /// Endpoints instead of the provider's own (GitHub, Discord); empty for the provider's.
    pub authorization_endpoint: String,
    /// See `authorization_endpoint`.
    pub token_endpoint: String,
    /// See `authorization_endpoint`; GitHub's address list is this URL plus `/emails`.
    pub userinfo_endpoint: String,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            client_id: String::new(),
            secret: String::new(),
            allow_linking: true,
            issuer: String::new(),
            authorization_endpoint: String::new(),
            token_endpoint: String::new(),
            userinfo_endpoint: String::new(),
        }
    }
}

/// `third_party.custom_providers.<key>`: an OpenID provider found by discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomProvider {
    /// Whether pages may sign in with it.
    pub enabled: bool,
    /// The name `/.well-known/config` shows.
    pub display_name: String,
    /// The issuer; its `/.well-known/openid-configuration` gives every endpoint.
    pub issuer: String,
    /// latchkey's client id at the provider.
    pub client_id: String,
    /// latchkey's client secret at the provider; written, never shown.
    pub secret: String,
    /// Scopes to ask for; `openid`, `email` and `profile` when empty.
    pub scopes: Vec<String>,
    /// As for built-in providers.
    pub allow_linking: bool,
}

impl Default for CustomProvider {
    fn default() -> Self {
        Self {
            enabled: false,
            display_name: String::new(),
            issuer: String::new(),
            client_id: String::new(),
            secret: String::new(),
            scopes: Vec::new(),
            allow_linking: true,
        }
    }
}

/// The prefix of custom providers' wire names.
pub const CUSTOM_PREFIX: &str = "custom_";

impl ThirdPartySettings {
    /// Whether any provider is enabled.
    pub fn any_enabled(&self) -> bool {
        BuiltInProvider::ALL
            .iter()
            .any(|provider| self.providers.get(*provider).enabled)
            || self.custom_providers.values().any(|custom| custom.enabled)
    }

    /// The display names of the enabled providers: built-in ones in the original's order, then
    /// custom ones by key.
    pub fn enabled_display_names(&self) -> Vec<String> {
        BuiltInProvider::ALL
            .into_iter()
            .filter(|provider| self.providers.get(*provider).enabled)
            .map(|provider| provider.display_name().to_owned())
            .chain(
                self.custom_providers
                    .values()
                    .filter(|custom| custom.enabled)
                    .map(|custom| custom.display_name.clone()),
            )
            .collect()
    }

    /// Clears every client secret: they are written, never shown.
    pub fn redact_secrets(&mut self) {
        for provider in BuiltInProvider::ALL {
            self.providers.get_mut(provider).secret.clear();
        }
        for custom in self.custom_providers.values_mut() {
            custom.secret.clear();
        }
    }

    /// Fills each secret left blank with the one `stored` has for the same provider and client
    /// id, so that settings read (without secrets), edited and written back keep them.
    pub fn keep_secrets(&mut self, stored: &Self) {
        for provider in BuiltInProvider::ALL {
            let old = stored.providers.get(provider);
            let new = self.providers.get_mut(provider);
            if new.secret.is_empty() && new.client_id == old.client_id {
                new.secret.clone_from(&old.secret);
            }
        }
        for (key, new) in &mut self.custom_providers {
            if let Some(old) = stored.custom_providers.get(key)
                && new.secret.is_empty()
                && new.client_id == old.client_id
            {
                new.secret.clone_from(&old.secret);
            }
        }
    }

    /// Refuses settings a sign-in could not work with, naming the key.
    pub fn validate(&self) -> Result<()> {
        if !self.any_enabled() {
            return Ok(());
        }
        absolute_url("third_party.redirect_url", &self.redirect_url)?;
        absolute_url("third_party.error_redirect_url", &self.error_redirect_url)?;
        if self.allowed_redirect_urls.is_empty() {
            return Err(Error::Invalid {
                field: "third_party.allowed_redirect_urls",
                reason: "at least one URL (or glob) is required when a provider is enabled"
                    .to_owned(),
            });
        }
        for provider in BuiltInProvider::ALL {
            let settings = self.providers.get(provider);
            if !settings.enabled {
                continue;
            }
            credentials(&settings.client_id, &settings.secret)?;
            for (field, url) in [
                ("third_party.providers.*.issuer", &settings.issuer),
                (
                    "third_party.providers.*.authorization_endpoint",
                    &settings.authorization_endpoint,
                ),
                (
                    "third_party.providers.*.token_endpoint",
                    &settings.token_endpoint,
                ),
                (
                    "third_party.providers.*.userinfo_endpoint",
                    &settings.userinfo_endpoint,
                ),
            ] {
                if !url.is_empty() {
                    absolute_url(field, url)?;
                }
            }
        }
        for (key, custom) in &self.custom_providers {
            let well_formed = !key.is_empty()
                && key.len() <= 64
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !well_formed {
                return Err(Error::Invalid {
                    field: "third_party.custom_providers",
                    reason: format!("{key:?} is not a key of lower-case letters, digits and _"),
                });
            }
            if !custom.enabled {
                continue;
            }
            credentials(&custom.client_id, &custom.secret)?;
            absolute_url("third_party.custom_providers.*.issuer", &custom.issuer)?;
            if custom.display_name.trim().is_empty() {
                return Err(Error::Invalid {
                    field: "third_party.custom_providers.*.display_name",
                    reason: "required".to_owned(),
                });
            }
        }
        Ok(())
    }
}

fn credentials(client_id: &str, secret: &str) -> Result<()> {
    if client_id.is_empty() || secret.is_empty() {
        return Err(Error::Invalid {
            field: "third_party.providers.*.client_id",
            reason: "an enabled provider needs client_id and secret".to_owned(),
        });
    }
    Ok(())
}

/// An `http` or `https` URL with a host, as the redirect and endpoint settings must be.
pub(crate) fn absolute_url(field: &'static str, text: &str) -> Result<()> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let host = rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(host) if !host.is_empty() && !text.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(Error::Invalid {
            field,
            reason: format!("{text:?} is not an absolute http(s) URL"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled_google() -> ThirdPartySettings {
        let mut settings = ThirdPartySettings {
            redirect_url: "https://login.example/thirdparty/callback".to_owned(),
            error_redirect_url: "https://app.example/error".to_owned(),
            allowed_redirect_urls: vec!["https://app.example/**".to_owned()],
            ..ThirdPartySettings::default()
        };
        let google = settings.providers.get_mut(BuiltInProvider::Google);
        google.enabled = true;
        google.client_id = "id".to_owned();
        google.secret = "secret".to_owned();
        settings
    }

    #[test]
    fn nothing_enabled_needs_nothing() {
        assert!(ThirdPartySettings::default().validate().is_ok());
        assert!(
            ThirdPartySettings::default()
                .enabled_display_names()
                .is_empty()
        );
    }

    #[test]
    fn an_enabled_provider_needs_urls_and_credentials() {
        assert!(enabled_google().validate().is_ok());
        assert_eq!(enabled_google().enabled_display_names(), ["Google"]);
        let mut no_secret = enabled_google();
        no_secret.providers.google.secret.clear();
        assert!(no_secret.validate().is_err());
        let mut no_allow_list = enabled_google();
        no_allow_list.allowed_redirect_urls.clear();
        assert!(no_allow_list.validate().is_err());
        let mut relative = enabled_google();
        relative.redirect_url = "/thirdparty/callback".to_owned();
        assert!(relative.validate().is_err());
        let mut bad_issuer = enabled_google();
        bad_issuer.providers.google.issuer = "ftp://x".to_owned();
        assert!(bad_issuer.validate().is_err());
    }

    #[test]
    fn secrets_are_hidden_and_kept_for_the_same_client() {
        let stored = enabled_google();
        let mut shown = stored.clone();
        shown.redact_secrets();
        assert!(shown.providers.google.secret.is_empty());
        let mut written = shown.clone();
        written.keep_secrets(&stored);
        assert_eq!(written.providers.google.secret, "secret");
        let mut other_client = shown;
        other_client.providers.google.client_id = "another".to_owned();
        other_client.keep_secrets(&stored);
        assert!(other_client.providers.google.secret.is_empty());
    }

    #[test]
    fn custom_provider_keys_are_plain() {
        let mut settings = enabled_google();
        settings.custom_providers.insert(
            "Bad Key".to_owned(),
            CustomProvider {
                enabled: false,
                ..CustomProvider::default()
            },
        );
        assert!(settings.validate().is_err());
    }

    #[test]
    fn provider_names_parse_case_insensitively() {
        assert_eq!(
            BuiltInProvider::parse("GitHub"),
            Some(BuiltInProvider::GitHub)
        );
        assert_eq!(BuiltInProvider::parse("myspace"), None);
    }
}
