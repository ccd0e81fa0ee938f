//! Webhooks of the Hanko Public API (v0.12): the `hanko_public.webhooks` block under the
//! original's key names, the hooks an administrator adds through the admin API, and the
//! deliveries waiting in the outbox.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::model::TenantId;
use crate::{Error, Result};

/// The nine event names the original accepts, and no other.
pub const EVENTS: [&str; 9] = [
    "user",
    "user.create",
    "user.update",
    "user.delete",
    "user.update.email",
    "user.update.email.create",
    "user.update.email.primary",
    "user.update.email.delete",
    "email.send",
];

/// An event the engine fires; the parents `user` and `user.update.email` are only subscribed
/// to, never fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    /// A user was created (sign-up, first proven address, administrator).
    UserCreate,
    /// A user changed in a way no narrower event names.
    UserUpdate,
    /// A user was deleted.
    UserDelete,
    /// A user got an address.
    EmailCreate,
    /// A user's primary address changed.
    EmailPrimary,
    /// A user lost an address.
    EmailDelete,
    /// A passcode mail was sent, or is for the deployment to send.
    EmailSend,
}

impl WebhookEvent {
    /// The event of an address a user just got: their first one creates them, as far as
    /// receivers know (a sign-up's user exists before, without addresses).
    pub fn address_added(first: bool) -> Self {
        if first {
            Self::UserCreate
        } else {
            Self::EmailCreate
        }
    }

    /// The event's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserCreate => "user.create",
            Self::UserUpdate => "user.update",
            Self::UserDelete => "user.delete",
            Self::EmailCreate => "user.update.email.create",
            Self::EmailPrimary => "user.update.email.primary",
            Self::EmailDelete => "user.update.email.delete",
            Self::EmailSend => "email.send",
        }
    }
}

/// Whether a hook subscribed to `events` gets `fired`: a subscription matches every event
/// whose name starts with it, as the original's `strings.HasPrefix` does (so `user` gets
/// every `user.*` event, without regard to dots).
pub fn subscribed<S: AsRef<str>>(events: &[S], fired: &str) -> bool {
    events.iter().any(|event| fired.starts_with(event.as_ref()))
}

/// `webhooks.*`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// Whether any hook fires. Unlike v0.12, whose hooks added through the admin API fire
    /// even when this is off, it switches both kinds.
    pub enabled: bool,
    /// Hooks added through the admin API stop after 30 days without a successful delivery.
    pub allow_time_expiration: bool,
    /// Hooks of the configuration: never disabled, never expire.
    pub hooks: Vec<ConfigHook>,
}

/// One entry of `webhooks.hooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigHook {
    /// Where events are posted.
    pub callback: String,
    /// The subscribed events; an empty list subscribes to nothing.
    #[serde(default)]
    pub events: Vec<String>,
}

impl WebhookSettings {
    /// Checks every hook, enabled or not: a mistake is reported when it is made, not when
    /// the block is switched on.
    pub fn validate(&self) -> Result<()> {
        for (index, hook) in self.hooks.iter().enumerate() {
            check_callback(&hook.callback).map_err(|reason| Error::Invalid {
                field: "hanko_public.webhooks.hooks",
                reason: format!("hooks[{index}].callback {reason}"),
            })?;
            check_events(&hook.events).map_err(|reason| Error::Invalid {
                field: "hanko_public.webhooks.hooks",
                reason: format!("hooks[{index}]: {reason}"),
            })?;
        }
        Ok(())
    }
}

/// Why `callback` cannot be posted to: it must be an absolute `http` or `https` URL with a
/// host and no fragment.
pub fn check_callback(callback: &str) -> std::result::Result<(), String> {
    let rest = callback
        .strip_prefix("https://")
        .or_else(|| callback.strip_prefix("http://"))
        .ok_or_else(|| "must be an absolute http or https URL".to_owned())?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let well_formed = !host.is_empty()
        && !host.starts_with(':')
        && !callback.contains('#')
        && !callback
            .chars()
            .any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(())
    } else {
        Err("must be an absolute http or https URL".to_owned())
    }
}

/// Why `events` is not a list of the nine event names, each at most once.
pub fn check_events<S: AsRef<str>>(events: &[S]) -> std::result::Result<(), String> {
    for (index, event) in events.iter().enumerate() {
        let event = event.as_ref();
        if !EVENTS.contains(&event) {
            return Err(format!(
                "{event} in events[{index}] is not a valid webhook event"
            ));
        }
        if events.iter().take(index).any(|seen| seen.as_ref() == event) {
            return Err(format!("{event} in events[{index}] is listed twice"));
        }
    }
    Ok(())
}

/// A hook added through the admin API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: Uuid,
    /// Its tenant.
    pub tenant: TenantId,
    /// Where events are posted.
    pub callback: String,
    /// Disabled hooks get nothing until an administrator enables them again.
    pub enabled: bool,
    /// Deliveries given up in a row since the last success.
    pub failures: u32,
    /// When the hook expires without a success (if the tenant lets hooks expire).
    pub expires_at: OffsetDateTime,
    /// The subscribed events, each once.
    pub events: Vec<WebhookSubscription>,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// One subscribed event of a [`Webhook`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSubscription {
    /// Its id.
    pub id: Uuid,
    /// The event name, one of [`EVENTS`].
    pub event: String,
}

/// An event waiting in the outbox for one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// Its id.
    pub id: Uuid,
    /// Its tenant, whose current key signs the token.
    pub tenant: TenantId,
    /// The hook added through the admin API it is for; `None` for a hook of the configuration.
    pub webhook: Option<Uuid>,
    /// Where it is posted.
    pub callback: String,
    /// The fired event's name.
    pub event: String,
    /// The token's `data` claim, as JSON text.
    pub data: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub due_at: OffsetDateTime,
    /// Until when an instance that claimed it is attempting it; no other instance claims it
    /// before.
    pub leased_until: Option<OffsetDateTime>,
    /// When the event fired.
    pub created_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_matches_by_prefix_as_the_original() {
        assert!(subscribed(&["user"], "user.update.email.delete"));
        assert!(subscribed(&["user.update"], "user.update.email.create"));
        assert!(subscribed(
            &["user.update.email"],
            "user.update.email.primary"
        ));
        assert!(subscribed(&["email.send"], "email.send"));
        assert!(!subscribed(&["user.create"], "user.delete"));
        assert!(!subscribed(&["user"], "email.send"));
        assert!(!subscribed::<&str>(&[], "user.create"));
    }

    #[test]
    fn only_the_nine_event_names_are_valid_each_once() {
        assert!(check_events(&EVENTS).is_ok());
        assert_eq!(
            check_events(&["user", "email"]).unwrap_err(),
            "email in events[1] is not a valid webhook event"
        );
        assert_eq!(
            check_events(&["user", "user"]).unwrap_err(),
            "user in events[1] is listed twice"
        );
    }

    #[test]
    fn callbacks_are_absolute_http_urls() {
        for good in [
            "https://example.com/hook",
            "http://127.0.0.1:8080",
            "https://user@example.com/a?b=c",
        ] {
            assert!(check_callback(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "example.com/hook",
            "ftp://example.com",
            "https://",
            "https:///path",
            "https://:80/",
            "https://example.com/a b",
            "https://example.com/#x",
        ] {
            assert!(check_callback(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_block_reads_the_originals_keys_and_reports_the_hook_at_fault() {
        let settings: WebhookSettings = serde_json::from_str(
            r#"{"enabled":true,"hooks":[{"callback":"https://a.example/h","events":["user"]},
                {"callback":"https://b.example/h","events":["email"]}]}"#,
        )
        .unwrap();
        assert!(settings.enabled && !settings.allow_time_expiration);
        let error = settings.validate().unwrap_err().to_string();
        assert!(
            error.contains("hooks[1]: email in events[0] is not a valid webhook event"),
            "{error}"
        );
        assert!(WebhookSettings::default().validate().is_ok());
    }
}
