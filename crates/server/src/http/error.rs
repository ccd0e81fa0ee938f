//! Why a request could not be read, before any endpoint rule or engine call. The shared layer
//! says only what went wrong; each dialect answers it in its own shape, in its error file.

/// A request the shared HTTP layer refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The body is larger than the endpoint accepts.
    TooLarge,
    /// The body, or a path parameter, could not be read into the endpoint's shape; says why.
    Unreadable(String),
    /// The body was read but breaks a field rule; names the rule.
    Invalid(String),
}
