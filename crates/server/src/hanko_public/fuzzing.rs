//! This dialect's request bodies for [`crate::fuzzing`], by route byte: 0 password set and
//! login, 1 token exchange, 2 WebAuthn login `initialize`, 3 credential rename, 4 new email
//! address, 5 passcode `initialize`, 6 passcode `finalize`, 7 sign-up and user lookup by email,
//! 8 WebAuthn registration and login `finalize` (the credential response).

use super::accounts::EmailBody;
use super::emails::AddEmail;
use super::error::PublicError;
use super::passcodes::{Finalize, Initialize};
use super::passwords::PasswordBody;
use super::third_party::TokenBody;
use super::webauthn::{LoginInit, Rename};
use crate::fuzzing::{credential_response, valid};

pub fn request(route: u8, body: &[u8]) {
    match route % 9 {
        0 => {
            valid::<PasswordBody, PublicError>(body);
        }
        1 => {
            valid::<TokenBody, PublicError>(body);
        }
        2 => {
            valid::<LoginInit, PublicError>(body);
        }
        3 => {
            valid::<Rename, PublicError>(body);
        }
        4 => {
            valid::<AddEmail, PublicError>(body);
        }
        5 => {
            valid::<Initialize, PublicError>(body);
        }
        6 => {
            valid::<Finalize, PublicError>(body);
        }
        7 => {
            valid::<EmailBody, PublicError>(body);
        }
        _ => credential_response(body),
    }
}
