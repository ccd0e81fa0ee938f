//! The machine-readable contract of each API latchkey serves: one OpenAPI document per
//! dialect and one for the admin API, derived from the handlers and wire types (utoipa) so that
//! a route or field cannot change without its document changing. The documents are rendered
//! once, served on both listeners, and committed under `docs/openapi/`, where a test keeps the
//! committed copy equal to what the code generates.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::{Info, InfoBuilder, License, OpenApi};

#[cfg(test)]
mod tests;

/// One API's document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    HankoPasskeyServer,
    HankoPublic,
    Kosmos,
    Admin,
}

impl Document {
    pub const ALL: [Self; 4] = [
        Self::HankoPasskeyServer,
        Self::HankoPublic,
        Self::Kosmos,
        Self::Admin,
    ];

    /// The file name under `docs/openapi/` and under `/openapi/` on the listeners.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::HankoPasskeyServer => "hanko-passkey-server.json",
            Self::HankoPublic => "hanko-public.json",
            Self::Kosmos => "kosmos.json",
            Self::Admin => "admin.json",
        }
    }

    /// The public listener serves the dialects' documents; the admin listener serves them all.
    fn served_publicly(self) -> bool {
        self != Self::Admin
    }

    fn by_file_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|document| document.file_name() == name)
    }

    /// The document as the code defines it.
    pub fn generate(self) -> OpenApi {
        match self {
            Self::HankoPasskeyServer => crate::hanko_passkey::openapi::document(),
            Self::HankoPublic => crate::hanko_public::openapi::document(),
            Self::Kosmos => crate::kosmos::openapi::document(),
            Self::Admin => crate::admin::openapi::document(),
        }
    }

    /// The document rendered as the committed file holds it: pretty JSON and a final newline.
    /// utoipa keeps paths, schemas and properties in sorted maps, so the text is stable.
    pub fn render(self) -> String {
        let mut text = self
            .generate()
            .to_pretty_json()
            .unwrap_or_else(|error| format!("{{\"error\":\"{error}\"}}"));
        text.push('\n');
        text
    }

    /// The rendering served on the listeners, made once per process.
    fn rendered(self) -> &'static str {
        static RENDERED: [OnceLock<String>; 4] = [const { OnceLock::new() }; 4];
        let slot = Self::ALL
            .iter()
            .position(|document| *document == self)
            .and_then(|index| RENDERED.get(index));
        match slot {
            Some(slot) => slot.get_or_init(|| self.render()),
            None => "",
        }
    }
}

/// The `info` block every document shares: a title, what the API is, and latchkey's licence.
/// Written out rather than taken from Cargo metadata so that a package description edit does
/// not change a published contract.
pub fn info(title: &str, description: &str) -> Info {
    InfoBuilder::new()
        .title(title)
        .description(Some(description))
        .version(env!("CARGO_PKG_VERSION"))
        .license(Some(License::new("Apache-2.0")))
        .build()
}

/// `GET /openapi/{document}` on the public listener: the dialects' documents.
pub async fn serve_public(Path(name): Path<String>) -> Response {
    serve(&name, Document::served_publicly)
}

/// `GET /openapi/{document}` on the admin listener: every document.
pub async fn serve_admin(Path(name): Path<String>) -> Response {
    serve(&name, |_| true)
}

fn serve(name: &str, allowed: fn(Document) -> bool) -> Response {
    match Document::by_file_name(name).filter(|document| allowed(*document)) {
        Some(document) => {
            ([(CONTENT_TYPE, "application/json")], document.rendered()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
