//! Path parameters whose failures are a [`Rejection`] the dialect answers in its own shape.

use std::convert::Infallible;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use super::error::Rejection;

/// Like axum's `Path`, but a failure is [`Rejection::Unreadable`], answered as the error `E`.
#[derive(Debug, Clone)]
pub struct PathParams<T, E>(pub T, pub PhantomData<fn() -> E>);

impl<S, T, E> FromRequestParts<S> for PathParams<T, E>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
    E: From<Rejection> + IntoResponse,
{
    type Rejection = E;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Self(value, PhantomData)),
            Err(rejection) => Err(Rejection::Unreadable(rejection.body_text()).into()),
        }
    }
}

/// The last segment of the request path, percent-decoded, with bytes that are not UTF-8 shown
/// as U+FFFD (as Go's JSON encoder shows them). axum's `Path` refuses such a parameter with a
/// 400; a route that ends in a parameter and answers an undecodable value like any unknown one
/// (a credential id: 404) reads that parameter with this instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossyLastSegment(pub String);

impl<S: Send + Sync> FromRequestParts<S> for LossyLastSegment {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let segment = parts.uri.path().rsplit('/').next().unwrap_or_default();
        Ok(Self(
            percent_decode_str(segment).decode_utf8_lossy().into_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    async fn last_segment(uri: &str) -> String {
        let (mut parts, ()) = Request::builder().uri(uri).body(()).unwrap().into_parts();
        let Ok(LossyLastSegment(segment)) =
            LossyLastSegment::from_request_parts(&mut parts, &()).await;
        segment
    }

    #[tokio::test]
    async fn last_segment_is_decoded_lossily() {
        assert_eq!(last_segment("/t/credentials/AQIDBA").await, "AQIDBA");
        assert_eq!(last_segment("/t/credentials/a%20b?x=1").await, "a b");
        assert_eq!(last_segment("/t/credentials/%2F%25").await, "/%");
        assert_eq!(last_segment("/t/credentials/%FFx").await, "\u{fffd}x");
    }
}
