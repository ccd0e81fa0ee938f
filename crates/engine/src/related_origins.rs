//! Related origins (WebAuthn L3 §5.11): web origins outside the RP ID's site that may run
//! ceremonies for it. A browser asked for RP ID `R` by such an origin fetches
//! `https://R/.well-known/webauthn` and accepts the origin only if the document lists it among
//! the first registrable origin labels it is willing to count; the server then checks the
//! clientDataJSON origin against the same list (see
//! [`RelyingPartyConfig::accepted_origins`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use url::Url;

use crate::model::{RelyingPartyConfig, TenantId};
use crate::recent::Recent;
use crate::{Engine, Error, ReadTx, Result, Store};

/// Distinct registrable origin labels a tenant may list. Browsers must honour at least five and
/// may ignore the entries of any further label (Firefox stops at five), so a sixth label's
/// origins could not be counted on to work anywhere.
pub const MAX_LABELS: usize = 5;

const FIELD: &str = "relying_party.related_origins";

/// Checks the tenant's related origins: each a web origin written as browsers serialise it
/// (`https://host[:port]`, lower-case, punycode, no path, query, fragment or user), whose host
/// has a registrable domain, none twice, with at most [`MAX_LABELS`] distinct labels.
pub(crate) fn validate(rp: &RelyingPartyConfig) -> Result<()> {
    let mut seen = BTreeSet::new();
    let mut labels = BTreeSet::new();
    for origin in &rp.related_origins {
        labels.insert(registrable_label(origin)?);
        if !seen.insert(origin.as_str()) {
            return Err(invalid(format!("lists {origin} twice")));
        }
    }
    if labels.len() > MAX_LABELS {
        let count = labels.len();
        let names = labels.into_iter().collect::<Vec<_>>().join(", ");
        return Err(invalid(format!(
            "name {count} registrable origin labels ({names}); browsers need honour only \
             {MAX_LABELS}, so at most {MAX_LABELS} are accepted"
        )));
    }
    Ok(())
}

/// The registrable origin label of `origin`: the first label of its host's registrable domain
/// by the Public Suffix List (`example` for both `https://example.co.uk` and
/// `https://www.example.de`).
fn registrable_label(origin: &str) -> Result<String> {
    let url = Url::parse(origin).map_err(|_| invalid(format!("{origin} is not a URL")))?;
    if url.scheme() != "https" {
        return Err(invalid(format!(
            "{origin} is not an https origin; browsers fetch and honour only https"
        )));
    }
    let serialised = url.origin().ascii_serialization();
    if serialised != origin {
        return Err(invalid(format!(
            "{origin} is not a bare origin; write it as browsers send it: {serialised}"
        )));
    }
    let Some(url::Host::Domain(host)) = url.host() else {
        return Err(invalid(format!("{origin} names an address, not a domain")));
    };
    let registrable = psl::domain_str(host)
        .ok_or_else(|| invalid(format!("{origin} is a public suffix, not a site")))?;
    Ok(registrable
        .split('.')
        .next()
        .unwrap_or(registrable)
        .to_owned())
}

fn invalid(reason: String) -> Error {
    Error::Invalid {
        field: FIELD,
        reason,
    }
}

/// The organisations that list related origins, with their RP IDs, as one value: answering
/// `/.well-known/webauthn` by host needs all of them, and reading every tenant on each such
/// request (which anyone may send) is what the [`Recent`] cache keeps to once a second.
pub(crate) type RpIdIndex = Recent<(), Arc<[(String, TenantId, Vec<String>)]>>;

/// What the RP ID a request was addressed to serves as its related-origins document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelatedOriginsAt {
    /// The one organisation at the RP ID that lists related origins lists these.
    Listed(Vec<String>),
    /// No organisation at the RP ID lists related origins.
    Unlisted,
    /// Several organisations at the RP ID list related origins: the document is one decision
    /// for the domain, so none of them is served in place of the others.
    Ambiguous(Vec<TenantId>),
}

impl<S: Store> Engine<S> {
    /// The organisation's related origins, as read at most [`CACHE_TTL`](crate::CACHE_TTL)
    /// ago; empty when it lists none.
    pub async fn related_origins(&self, tenant: TenantId) -> Result<Vec<String>> {
        let tenant = self.serving_tenant(tenant).await?;
        Ok(tenant.config.relying_party.related_origins.clone())
    }

    /// The related origins served at `rp_id` (compared without regard to ASCII case), as read
    /// at most [`CACHE_TTL`](crate::CACHE_TTL) ago or last changed by this process.
    pub async fn related_origins_at(&self, rp_id: &str) -> Result<RelatedOriginsAt> {
        let read = async {
            let mut tx = self.store.read().await?;
            let listing = tx
                .organisations()
                .await?
                .into_iter()
                .filter(|tenant| !tenant.config.relying_party.related_origins.is_empty())
                .map(|tenant| {
                    let rp = tenant.config.relying_party;
                    (rp.id, tenant.id, rp.related_origins)
                })
                .collect::<Vec<_>>();
            Ok(Arc::from(listing))
        };
        let index = self.rp_ids.get_or_read(&(), self.now(), read).await?;
        let mut found = index
            .iter()
            .filter(|(id, _, _)| id.eq_ignore_ascii_case(rp_id));
        Ok(match (found.next(), found.next()) {
            (None, _) => RelatedOriginsAt::Unlisted,
            (Some((_, _, origins)), None) => RelatedOriginsAt::Listed(origins.clone()),
            (Some(first), Some(second)) => RelatedOriginsAt::Ambiguous(
                [first, second]
                    .into_iter()
                    .chain(found)
                    .map(|(_, tenant, _)| *tenant)
                    .collect(),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp(related: &[&str]) -> RelyingPartyConfig {
        RelyingPartyConfig {
            id: "example.com".to_owned(),
            display_name: "Example".to_owned(),
            icon: None,
            origins: vec!["https://example.com".to_owned()],
            related_origins: related.iter().map(|&origin| origin.to_owned()).collect(),
        }
    }

    fn reason(related: &[&str]) -> String {
        match validate(&rp(related)) {
            Err(Error::Invalid { field, reason }) => {
                assert_eq!(field, FIELD);
                reason
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn the_registrable_origin_label_is_the_first_label_of_the_registrable_domain() {
        // The spec's own examples (index.bs, "registrable origin label").
        assert_eq!(
            registrable_label("https://example.co.uk").unwrap(),
            "example"
        );
        assert_eq!(
            registrable_label("https://www.example.de").unwrap(),
            "example"
        );
        // Private suffixes count as public ones, as in Firefox's eTLD service.
        assert_eq!(
            registrable_label("https://shop.example.github.io").unwrap(),
            "example"
        );
    }

    #[test]
    fn five_distinct_labels_are_accepted() {
        let five = [
            "https://one.example",
            "https://two.example",
            "https://three.example",
            "https://four.example",
            "https://five.example",
        ];
        assert!(validate(&rp(&five)).is_ok());
        // Further origins of labels already counted cost nothing.
        let more = [&five[..], &["https://www.one.example", "https://one.co.uk"]].concat();
        assert!(validate(&rp(&more)).is_ok());
    }

    #[test]
    fn a_sixth_distinct_label_is_refused_naming_the_limit() {
        let reason = reason(&[
            "https://one.example",
            "https://two.example",
            "https://three.example",
            "https://four.example",
            "https://five.example",
            "https://six.example",
        ]);
        assert!(reason.contains("6 registrable origin labels"), "{reason}");
        assert!(reason.contains("at most 5"), "{reason}");
    }

    #[test]
    fn one_label_under_several_public_suffixes_counts_once() {
        let related = [
            "https://example.co.uk",
            "https://example.de",
            "https://www.example.de",
            "https://two.example",
            "https://three.example",
            "https://four.example",
            "https://five.example",
        ];
        assert!(validate(&rp(&related)).is_ok());
    }

    #[test]
    fn only_bare_https_origins_of_a_site_are_accepted() {
        for (origin, says) in [
            ("http://example.de", "not an https origin"),
            ("http://localhost:8080", "not an https origin"),
            ("android:apk-key-hash:abc", "not an https origin"),
            ("example.de", "not a URL"),
            (
                "https://example.de/",
                "write it as browsers send it: https://example.de",
            ),
            ("https://example.de/login", "not a bare origin"),
            ("https://example.de?a=1", "not a bare origin"),
            ("https://example.de#top", "not a bare origin"),
            ("https://user@example.de", "not a bare origin"),
            ("https://Example.DE", "https://example.de"),
            ("https://example.de:443", "https://example.de"),
            ("https://bücher.de", "https://xn--bcher-kva.de"),
            ("https://192.0.2.1", "an address"),
            ("https://co.uk", "a public suffix"),
        ] {
            let reason = reason(&[origin]);
            assert!(reason.contains(says), "{origin}: {reason}");
        }
        assert!(validate(&rp(&["https://example.de:8443"])).is_ok());
    }

    #[test]
    fn an_origin_listed_twice_is_refused() {
        let reason = reason(&["https://example.de", "https://example.de"]);
        assert_eq!(reason, "lists https://example.de twice");
    }

    #[test]
    fn no_related_origins_is_valid() {
        assert!(validate(&rp(&[])).is_ok());
    }
}
