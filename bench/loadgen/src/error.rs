use thiserror::Error;

/// Everything that makes a ceremony count as a wrong answer (or keeps the run from starting).
#[derive(Debug, Error)]
pub enum Error {
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{method} {path} answered {status}: {body}")]
    Status {
        method: &'static str,
        path: String,
        status: u16,
        body: String,
    },
    #[error("unexpected answer: {0}")]
    Wire(String),
    #[error("token refused: {0}")]
    Token(String),
    #[error("{0} was accepted; it must be refused")]
    Accepted(&'static str),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("crypto: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
    #[error("histogram: {0}")]
    Histogram(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
