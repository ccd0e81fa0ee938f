//! This dialect's request bodies for [`crate::fuzzing`], by route byte: 0 registration and MFA
//! registration `initialize`, 1 login `initialize`, 2 MFA login `initialize`, 3 transaction
//! `initialize`, 4 credential rename, 5 every `finalize` (the credential response).

use axum::body::Bytes;

use super::credential_json::unpadded;
use super::credentials::Rename;
use super::error::ApiError;
use super::login::{InitLogin, InitMfaLogin};
use super::registration::InitRegistration;
use super::transactions::InitTransaction;
use crate::fuzzing::{credential_response, valid};

pub fn request(route: u8, body: &[u8]) {
    match route % 6 {
        0 => {
            let _ = valid::<InitRegistration, ApiError>(body).map(InitRegistration::into_parts);
        }
        1 => {
            valid::<InitLogin, ApiError>(body);
        }
        2 => {
            valid::<InitMfaLogin, ApiError>(body);
        }
        3 => {
            valid::<InitTransaction, ApiError>(body);
        }
        4 => {
            valid::<Rename, ApiError>(body);
        }
        _ => credential_response(&unpadded(Bytes::copy_from_slice(body))),
    }
}
