//! latchkey's HTTP front. Each dialect (Hanko, 1Kosmos) maps wire shapes to engine calls and
//! back; the admin API manages tenants. Nothing here decides a rule: that is the engine's job.

mod admin;
mod hanko;
mod http;
mod kosmos;
mod listener;
mod metrics;
mod rate_limit;

pub use admin::{AdminOptions, admin_router};
pub use hanko::public_router;
pub use http::meta::TrustedProxies;
pub use kosmos::{ensure_envelope_key, kosmos_router};
pub use listener::{ListenerLimits, serve};
pub use metrics::Metrics;
pub use rate_limit::RedisCounter;
