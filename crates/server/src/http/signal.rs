//! The options of WebAuthn's signal methods as a page passes them to the browser unchanged
//! (WebAuthn L3 §5.1.10: `UnknownCredentialOptions`, `AllAcceptedCredentialsOptions`,
//! `CurrentUserDetailsOptions`; ids base64url without padding). They are the browser's shape,
//! not a dialect's: every dialect carries them in a `signal` member of its own answers.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey_engine::signals::{UnknownCredential, UserSignals};
use serde::Serialize;
use utoipa::ToSchema;

/// What a page passes to `PublicKeyCredential.signalUnknownCredential`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnknownCredentialOptions {
    /// The relying party the credential is scoped to.
    rp_id: String,
    /// The credential the server does not hold (base64url).
    credential_id: String,
}

/// The `signal` member of a refused login whose credential the server does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialSignal {
    /// For `PublicKeyCredential.signalUnknownCredential`.
    unknown_credential: UnknownCredentialOptions,
}

impl From<&UnknownCredential> for CredentialSignal {
    fn from(signal: &UnknownCredential) -> Self {
        Self {
            unknown_credential: UnknownCredentialOptions {
                rp_id: signal.rp_id.clone(),
                credential_id: URL_SAFE_NO_PAD.encode(&signal.credential_id),
            },
        }
    }
}

/// What a page passes to `PublicKeyCredential.signalAllAcceptedCredentials`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllAcceptedCredentialsOptions {
    /// The relying party the credentials are scoped to.
    rp_id: String,
    /// The user handle the credentials were registered with (base64url).
    user_id: String,
    /// Every credential of the user the server holds (base64url); the provider hides or
    /// removes the user's others.
    all_accepted_credential_ids: Vec<String>,
}

/// What a page passes to `PublicKeyCredential.signalCurrentUserDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrentUserDetailsOptions {
    /// The relying party the credentials are scoped to.
    rp_id: String,
    /// The user handle the credentials were registered with (base64url).
    user_id: String,
    /// The account name the provider should show.
    name: String,
    /// The friendly name the provider should show.
    display_name: String,
}

/// Everything the server can tell the browser about one user's credentials: the `signal`
/// member of a login, or the whole answer of a signal endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserSignal {
    /// For `PublicKeyCredential.signalAllAcceptedCredentials`.
    all_accepted_credentials: AllAcceptedCredentialsOptions,
    /// For `PublicKeyCredential.signalCurrentUserDetails`.
    current_user_details: CurrentUserDetailsOptions,
}

impl From<UserSignals> for UserSignal {
    fn from(signals: UserSignals) -> Self {
        let user_id = URL_SAFE_NO_PAD.encode(&signals.user_handle);
        Self {
            all_accepted_credentials: AllAcceptedCredentialsOptions {
                rp_id: signals.rp_id.clone(),
                user_id: user_id.clone(),
                all_accepted_credential_ids: signals
                    .accepted_credentials
                    .iter()
                    .map(|id| URL_SAFE_NO_PAD.encode(id))
                    .collect(),
            },
            current_user_details: CurrentUserDetailsOptions {
                rp_id: signals.rp_id,
                user_id,
                name: signals.name,
                display_name: signals.display_name,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_unknown_credential_is_named_as_the_browser_takes_it() {
        let signal = CredentialSignal::from(&UnknownCredential {
            rp_id: "example.com".to_owned(),
            credential_id: vec![0xfb, 0xff],
        });
        assert_eq!(
            serde_json::to_value(signal).unwrap(),
            json!({"unknownCredential": {"rpId": "example.com", "credentialId": "-_8"}})
        );
    }

    #[test]
    fn a_users_signal_holds_both_methods_options() {
        let signal = UserSignal::from(UserSignals {
            rp_id: "example.com".to_owned(),
            user_handle: b"user-17".to_vec(),
            accepted_credentials: vec![vec![1, 2, 3], vec![0xff]],
            name: "alice".to_owned(),
            display_name: "Alice".to_owned(),
        });
        assert_eq!(
            serde_json::to_value(signal).unwrap(),
            json!({
                "allAcceptedCredentials": {
                    "rpId": "example.com",
                    "userId": "dXNlci0xNw",
                    "allAcceptedCredentialIds": ["AQID", "_w"],
                },
                "currentUserDetails": {
                    "rpId": "example.com",
                    "userId": "dXNlci0xNw",
                    "name": "alice",
                    "displayName": "Alice",
                },
            })
        );
    }
}
