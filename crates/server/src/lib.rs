//! latchkey's HTTP front. Each dialect (Hanko, 1Kosmos) maps wire shapes to engine calls and
//! back; the admin API manages tenants. Nothing here decides a rule: that is the engine's job.
//!
//! [`Server`] is the front door: it sets the engine up, serves given listeners until shutdown
//! and closes the store; [`public_app`] is the whole public router on its own.

mod admin;
mod app;
mod demo;
mod extensions;
#[doc(hidden)]
pub mod fuzzing;
mod hanko_passkey;
mod hanko_public;
mod http;
mod kosmos;
mod listener;
mod mail;
mod metrics;
mod openapi;
mod rate_limit;
mod related_origins;
mod webhooks;

pub use admin::AdminOptions;
pub use app::{Listeners, Options, Server, StartError, public_app};
pub use demo::DemoOptions;
pub use http::meta::TrustedProxies;
pub use listener::ListenerLimits;
pub use mail::{Mail, MailError, MailLanguage, Mailer, passcode_mail};
pub use metrics::Metrics;
