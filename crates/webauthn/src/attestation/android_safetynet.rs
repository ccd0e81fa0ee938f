//! placeholder until implemented
use super::{Input, Statement};
use crate::error::{Error, Result};

pub(super) fn verify(_input: &Input<'_>) -> Result<Statement> {
    Err(Error::UnsupportedFormat)
}
