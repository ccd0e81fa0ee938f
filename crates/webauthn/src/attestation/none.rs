//! `none` (§8.7): the authenticator, or the client, chose not to attest.

use super::{AttestationType, Input, Statement};
use crate::error::{Error, Result};

pub(super) fn verify(input: &Input<'_>) -> Result<Statement> {
    if input.statement.len() != 0 {
        return Err(Error::attestation("none", "attStmt must be empty"));
    }
    Ok(Statement::empty(AttestationType::None))
}
