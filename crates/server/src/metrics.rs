//! Request counters and latency histograms in the Prometheus text format (0.0.4).
//!
//! Kept in-process with a mutex per family: a request costs one short lock, and the label sets
//! are bounded (route templates, not raw paths; a fixed list of methods), so the maps stay small.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Upper bounds (seconds) of the latency histogram buckets; `+Inf` is implied.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's HTTP metrics, shared by every listener; clones share the same counters.
#[derive(Clone, Default, Debug)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    requests: Mutex<BTreeMap<RequestLabels, u64>>,
    durations: Mutex<BTreeMap<RouteLabels, Histogram>>,
    /// When counting began, for the console's rates.
    started: Instant,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            requests: Mutex::default(),
            durations: Mutex::default(),
            started: Instant::now(),
        }
    }
}

/// One route's figures since the process started, for the admin console's dashboard.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RouteFigures {
    pub dialect: &'static str,
    pub method: &'static str,
    pub route: String,
    /// Answers by status code, most frequent first.
    pub statuses: Vec<(u16, u64)>,
    pub count: u64,
    /// Upper bounds of the buckets holding the 50th, 95th and 99th percentile, in seconds;
    /// `None` beyond the largest bucket.
    pub percentiles: [Option<f64>; 3],
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RouteLabels {
    dialect: &'static str,
    method: &'static str,
    route: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RequestLabels {
    route: RouteLabels,
    status: u16,
}

#[derive(Debug, Default)]
struct Histogram {
    /// Observations per bucket (not cumulative; summed when rendered).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(slot) = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .and_then(|index| self.buckets.get_mut(index))
        {
            *slot += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    /// The upper bound of the bucket that holds quantile `q` (as Prometheus's
    /// `histogram_quantile` would bound it); `None` past the last bucket or with no data.
    fn quantile_bound(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        // The rank of the observation at quantile q, from 1; counts are far below 2^52.
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let rank = ((self.count as f64) * q).ceil().max(1.0) as u64;
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(self.buckets) {
            cumulative += count;
            if cumulative >= rank {
                return Some(*bound);
            }
        }
        None
    }
}

impl Metrics {
    /// Counts the request and times it, under the route template it matched.
    ///
    /// Apply it to a whole router, naming the dialect that serves it:
    ///
    /// ```ignore
    /// router.layer(axum::middleware::from_fn_with_state(
    ///     (metrics.clone(), "hanko"),
    ///     Metrics::track,
    /// ))
    /// ```
    ///
    /// `Router::layer` wraps every route (and the fallback) after routing, so the route template
    /// (`axum::extract::MatchedPath`) is known; requests that matched none count as `unmatched`.
    pub async fn track(
        State((metrics, dialect)): State<(Metrics, &'static str)>,
        request: Request,
        next: Next,
    ) -> Response {
        let started = Instant::now();
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
        let labels = RouteLabels {
            dialect,
            method: method_label(request.method()),
            route,
        };
        let response = next.run(request).await;
        metrics.record(
            labels,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
        response
    }

    fn record(&self, labels: RouteLabels, status: u16, seconds: f64) {
        self.inner
            .durations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(labels.clone())
            .or_default()
            .observe(seconds);
        *self
            .inner
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(RequestLabels {
                route: labels,
                status,
            })
            .or_default() += 1;
    }

    /// Seconds since counting began.
    pub(crate) fn uptime_secs(&self) -> f64 {
        self.inner.started.elapsed().as_secs_f64()
    }

    /// Every route's figures, busiest first.
    pub(crate) fn figures(&self) -> Vec<RouteFigures> {
        let mut statuses: BTreeMap<RouteLabels, Vec<(u16, u64)>> = BTreeMap::new();
        for (labels, count) in self
            .inner
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            statuses
                .entry(labels.route.clone())
                .or_default()
                .push((labels.status, *count));
        }
        let mut figures: Vec<RouteFigures> = self
            .inner
            .durations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(labels, histogram)| {
                let mut by_status = statuses.remove(labels).unwrap_or_default();
                by_status.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                RouteFigures {
                    dialect: labels.dialect,
                    method: labels.method,
                    route: labels.route.clone(),
                    statuses: by_status,
                    count: histogram.count,
                    percentiles: [0.5, 0.95, 0.99].map(|q| histogram.quantile_bound(q)),
                }
            })
            .collect();
        figures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.route.cmp(&b.route)));
        figures
    }

    /// Every metric in the Prometheus text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP latchkey_build_info The running latchkey version.\n");
        out.push_str("# TYPE latchkey_build_info gauge\n");
        out.push_str(&format!(
            "latchkey_build_info{{version=\"{}\"}} 1\n",
            escape(env!("CARGO_PKG_VERSION"))
        ));

        out.push_str("# HELP latchkey_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE latchkey_http_requests_total counter\n");
        for (labels, count) in self
            .inner
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "latchkey_http_requests_total{{{},status=\"{}\"}} {count}",
                labels.route.render(),
                labels.status
            );
        }

        out.push_str(
            "# HELP latchkey_http_request_duration_seconds Time to answer an HTTP request.\n",
        );
        out.push_str("# TYPE latchkey_http_request_duration_seconds histogram\n");
        for (labels, histogram) in self
            .inner
            .durations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let labels = labels.render();
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "latchkey_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "latchkey_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "latchkey_http_request_duration_seconds_sum{{{labels}}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "latchkey_http_request_duration_seconds_count{{{labels}}} {}",
                histogram.count
            );
        }
        out
    }
}

impl RouteLabels {
    fn render(&self) -> String {
        format!(
            "dialect=\"{}\",method=\"{}\",route=\"{}\"",
            escape(self.dialect),
            self.method,
            escape(&self.route)
        )
    }
}

/// The method as a label value; anything outside the standard set is `OTHER`, so that clients
/// cannot grow the label space with made-up methods.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// Escapes a label value as the text format requires.
fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let metrics = Metrics::default();
        let labels = RouteLabels {
            dialect: "hanko",
            method: "POST",
            route: "/{tenant_id}/login/initialize".to_owned(),
        };
        metrics.record(labels.clone(), 200, 0.003);
        metrics.record(labels.clone(), 200, 0.2);
        metrics.record(labels, 401, 7.0);

        let text = metrics.render();
        let route = r#"dialect="hanko",method="POST",route="/{tenant_id}/login/initialize""#;
        for line in [
            format!(
                "latchkey_build_info{{version=\"{}\"}} 1",
                env!("CARGO_PKG_VERSION")
            ),
            format!("latchkey_http_requests_total{{{route},status=\"200\"}} 2"),
            format!("latchkey_http_requests_total{{{route},status=\"401\"}} 1"),
            format!("latchkey_http_request_duration_seconds_bucket{{{route},le=\"0.001\"}} 0"),
            format!("latchkey_http_request_duration_seconds_bucket{{{route},le=\"0.005\"}} 1"),
            format!("latchkey_http_request_duration_seconds_bucket{{{route},le=\"0.25\"}} 2"),
            format!("latchkey_http_request_duration_seconds_bucket{{{route},le=\"5\"}} 2"),
            format!("latchkey_http_request_duration_seconds_bucket{{{route},le=\"+Inf\"}} 3"),
            format!("latchkey_http_request_duration_seconds_count{{{route}}} 3"),
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
        assert!(text.contains("# TYPE latchkey_http_requests_total counter\n"));
        assert!(text.contains("# TYPE latchkey_http_request_duration_seconds histogram\n"));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn quantiles_are_bounded_by_their_bucket() {
        let mut histogram = Histogram::default();
        assert_eq!(histogram.quantile_bound(0.5), None);
        for _ in 0..90 {
            histogram.observe(0.004);
        }
        for _ in 0..9 {
            histogram.observe(0.2);
        }
        histogram.observe(30.0);
        assert_eq!(histogram.quantile_bound(0.5), Some(0.005));
        assert_eq!(histogram.quantile_bound(0.95), Some(0.25));
        assert_eq!(histogram.quantile_bound(0.99), Some(0.25));
        assert_eq!(histogram.quantile_bound(1.0), None);
    }

    #[test]
    fn figures_group_statuses_under_their_route() {
        let metrics = Metrics::default();
        let route = |route: &str| RouteLabels {
            dialect: "hanko",
            method: "POST",
            route: route.to_owned(),
        };
        metrics.record(route("/{tenant_id}/login/finalize"), 200, 0.003);
        metrics.record(route("/{tenant_id}/login/finalize"), 400, 0.002);
        metrics.record(route("/{tenant_id}/login/finalize"), 200, 0.004);
        metrics.record(route("/{tenant_id}/login/initialize"), 200, 0.001);
        let figures = metrics.figures();
        assert_eq!(figures.len(), 2);
        let finalize = &figures[0];
        assert_eq!(finalize.route, "/{tenant_id}/login/finalize");
        assert_eq!(finalize.count, 3);
        assert_eq!(finalize.statuses, vec![(200, 2), (400, 1)]);
        assert_eq!(finalize.percentiles[0], Some(0.005));
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn unusual_methods_share_one_label() {
        let method = Method::from_bytes(b"BREW").unwrap_or(Method::GET);
        assert_eq!(method_label(&method), "OTHER");
    }

    #[tokio::test]
    async fn middleware_labels_by_route_template() {
        let metrics = Metrics::default();
        let app = Router::new()
            .route("/items/{id}", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                (metrics.clone(), "test"),
                Metrics::track,
            ));
        for uri in ["/items/1", "/items/2", "/nowhere"] {
            let request = Request::builder()
                .uri(uri)
                .body(Body::empty())
                .unwrap_or_default();
            let _ = app.clone().oneshot(request).await;
        }

        let text = metrics.render();
        assert!(text.contains(
            r#"latchkey_http_requests_total{dialect="test",method="GET",route="/items/{id}",status="200"} 2"#
        ));
        assert!(text.contains(
            r#"latchkey_http_requests_total{dialect="test",method="GET",route="unmatched",status="404"} 1"#
        ));
    }
}
