//! The console's first page: tenants at a glance and the process's ceremony figures (rates,
//! failures by status, latency percentiles) from the same counters `GET /metrics` exports.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use latchkey_engine::Store;
use maud::{Markup, html};

use super::error::ConsoleError;
use super::page::{self, Place};
use super::session::Session;
use crate::admin::AdminState;
use crate::admin::error::answer;
use crate::metrics::RouteFigures;

/// Routes that start or finish a passkey ceremony in any dialect (their CORS preflights, which
/// share the route, are counted with the other routes).
fn is_ceremony(route: &str) -> bool {
    route.contains("initialize")
        || route.contains("finalize")
        || route.ends_with("/options")
        || route.ends_with("/result")
}

/// `GET /console`.
pub(super) async fn show<S: Store>(
    State(state): State<AdminState<S>>,
    session: Session,
) -> Result<Response, ConsoleError> {
    let tenants = state
        .engine
        .tenants()
        .await
        .map_err(|error| answer(error, "unable to list tenants"))?;
    // The engine lists organisations; their 1Kosmos communities are counted one organisation
    // at a time, which an admin page can afford.
    let mut communities = 0;
    for tenant in &tenants {
        communities += state
            .engine
            .communities(tenant.id)
            .await
            .map_err(|error| answer(error, "unable to list communities"))?
            .len();
    }
    let minutes = (state.metrics.uptime_secs() / 60.0).max(1.0 / 60.0);
    let figures = state.metrics.figures();
    let (ceremonies, others): (Vec<&RouteFigures>, Vec<&RouteFigures>) = figures
        .iter()
        .filter(|figures| figures.route != "unmatched")
        .partition(|figures| figures.method != "OPTIONS" && is_ceremony(&figures.route));
    let served: u64 = ceremonies.iter().map(|figures| figures.count).sum();
    let failed: u64 = ceremonies.iter().map(|figures| failures(figures)).sum();
    let body = html! {
        h1 { "Dashboard" }
        div.stats {
            div.stat { div.value { (tenants.len()) } div.label { "tenants" } }
            div.stat { div.value { (communities) } div.label { "1Kosmos communities" } }
            div.stat { div.value { (served) } div.label { "ceremony requests since start" } }
            div.stat { div.value { (rate(served, minutes)) } div.label { "ceremony requests a minute" } }
            div.stat { div.value { (failed) } div.label { "refused or failed" } }
        }
        h2 #ceremonies { "Ceremonies" }
        p.hint { "Since this process started (" (format!("{minutes:.0}")) " min). Latencies are the upper bounds of the histogram buckets that hold them." }
        (table(&ceremonies, minutes, "ceremonies"))
        details {
            summary { "Every other route" }
            (table(&others, minutes, "other routes"))
        }
    };
    Ok(page::page("Dashboard", &session, Place::Dashboard, body).into_response())
}

fn failures(figures: &RouteFigures) -> u64 {
    figures
        .statuses
        .iter()
        .filter(|(status, _)| *status >= 400)
        .map(|(_, count)| count)
        .sum()
}

fn rate(count: u64, minutes: f64) -> String {
    // Counts stay far below 2^52, where f64 is exact.
    #[allow(clippy::cast_precision_loss)]
    let per_minute = count as f64 / minutes;
    format!("{per_minute:.1}")
}

fn latency(bound: Option<f64>) -> String {
    match bound {
        Some(seconds) if seconds < 1.0 => format!("≤ {:.1} ms", seconds * 1000.0),
        Some(seconds) => format!("≤ {seconds} s"),
        None => "> 5 s".to_owned(),
    }
}

fn table(rows: &[&RouteFigures], minutes: f64, label: &str) -> Markup {
    html! {
        @if rows.is_empty() { p { "No requests yet." } } @else {
            div.scroll {
                table.responsive aria-label=(label) {
                    thead { tr {
                        th { "Dialect" } th { "Route" } th { "Requests" } th { "A minute" }
                        th { "Failures by status" } th { "p50" } th { "p95" } th { "p99" }
                    } }
                    tbody {
                        @for figures in rows {
                            tr {
                                td data-label="Dialect" { (figures.dialect) }
                                td data-label="Route" { code { (figures.method) " " (figures.route) } }
                                td data-label="Requests" { (figures.count) }
                                td data-label="A minute" { (rate(figures.count, minutes)) }
                                td data-label="Failures by status" {
                                    @for (status, count) in figures.statuses.iter().filter(|(status, _)| *status >= 400) {
                                        span.badge.bad { (status) ": " (count) } " "
                                    }
                                }
                                @for (name, bound) in ["p50", "p95", "p99"].iter().zip(figures.percentiles) {
                                    td data-label=(name) { (latency(bound)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
