//! `GET /` on every listener: a small HTML page that says the server runs, as the original
//! renders one at its root. It names no tenant and reads nothing, so it cannot fail and costs
//! an unauthenticated caller nothing; readiness, which asks the store, is `/health/ready`.

use axum::response::Html;

const PAGE: &str = concat!(
    "<!DOCTYPE html>\n",
    "<html>\n",
    "<head><meta charset=\"utf-8\"><title>latchkey</title></head>\n",
    "<body>\n",
    "<h1>latchkey is running</h1>\n",
    "<p>Version ",
    env!("CARGO_PKG_VERSION"),
    "</p>\n",
    "</body>\n",
    "</html>\n"
);

/// The page, with status 200 and `Content-Type: text/html; charset=utf-8`.
pub async fn status_page() -> Html<&'static str> {
    Html(PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_names_the_version() {
        assert!(PAGE.contains("latchkey is running"));
        assert!(PAGE.contains(env!("CARGO_PKG_VERSION")));
    }
}
