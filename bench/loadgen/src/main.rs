//! Drives a passkey server speaking the Hanko passkey-server API (or latchkey's 1Kosmos dialect, or
//! the Hanko Public API) with closed-loop ceremonies and prints one JSON report; exits non-zero when
//! any answer was wrong (a token that does not verify, a replayed or tampered response accepted, an
//! error status), never because of speed.

mod authenticator;
mod dialect;
mod error;
mod hanko;
mod hanko_public;
mod kosmos;
mod process;
mod run;
mod tokens;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use serde::Serialize;

use crate::dialect::{Ceremony, Dialect};
use crate::error::Error;
use crate::hanko::Tenant;
use crate::kosmos::Community;
use crate::run::{Length, Outcome, Plan};

#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The server's public API, e.g. http://127.0.0.1:8000.
    #[arg(long)]
    url: String,
    /// The tenant (for the public-* ceremonies one with the Hanko Public API enabled); for the
    /// 1Kosmos ceremonies the organisation whose JWKS signs the community's tokens.
    #[arg(long)]
    tenant: String,
    /// The tenant's API key (the `apiKey` header); the Hanko ceremonies need it.
    #[arg(long, env = "LOADGEN_API_KEY")]
    api_key: Option<String>,
    /// The 1Kosmos community the `kosmos-*` ceremonies run in.
    #[arg(long, env = "LOADGEN_COMMUNITY")]
    community: Option<String>,
    /// A 1Kosmos license key that reaches the community.
    #[arg(long, env = "LOADGEN_LICENSE_KEY")]
    license_key: Option<String>,
    #[arg(long, value_enum, default_value = "login")]
    ceremony: Ceremony,
    /// Concurrent clients, each waiting for its answer before it sends again.
    #[arg(long, default_value_t = 32)]
    workers: usize,
    /// Users registered before a run of logins, MFA logins or transactions; shared out among the workers.
    #[arg(long, default_value_t = 100)]
    users: usize,
    /// Seconds of load before the measurement starts.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Instead of --duration: measure until every user has logged in this many times, however long that
    /// takes (a login ceremony; e.g. a memory measurement over all of many users).
    #[arg(long, conflicts_with = "duration", value_parser = clap::value_parser!(u64).range(1..))]
    passes: Option<u64>,
    /// Replay and tamper probes per worker, before the warm-up and again after the measurement.
    #[arg(long, default_value_t = 1)]
    probes: usize,
    /// The relying party id (for the 1Kosmos ceremonies the community's `dns`).
    #[arg(long, default_value = "localhost")]
    rp_id: String,
    #[arg(long, default_value = "http://localhost:8080")]
    origin: String,
    /// The server's process id: report its CPU share during the measurement and its peak memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Names this run in the report (e.g. the server's name).
    #[arg(long, default_value = "")]
    label: String,
    /// Prefix of the user and transaction ids; a fresh random one by default, so runs never collide.
    #[arg(long)]
    run_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    label: &'a str,
    ceremony: Ceremony,
    workers: usize,
    users: usize,
    warmup_seconds: f64,
    passes: Option<u64>,
    #[serde(flatten)]
    outcome: Outcome,
}

fn run_id() -> String {
    let mut bytes = [0u8; 4];
    // A collision only reuses user ids, which the set-up then reports as an error; never silent.
    let _ = openssl::rand::rand_bytes(&mut bytes);
    format!(
        "lg{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Connects to the dialect the plan's ceremony speaks and runs the plan.
async fn drive(args: &Args, plan: Plan) -> Result<Outcome, Error> {
    let missing = |what: &str| Error::Wire(format!("{:?} needs --{what}", args.ceremony));
    if args.ceremony.is_kosmos() {
        let community = Community {
            url: args.url.clone(),
            tenant: args.tenant.clone(),
            id: args.community.clone().ok_or_else(|| missing("community"))?,
            license_key: args
                .license_key
                .clone()
                .ok_or_else(|| missing("license-key"))?,
            origin: args.origin.clone(),
            dns: args.rp_id.clone(),
        };
        let encrypted = args.ceremony == Ceremony::KosmosLoginEncrypted;
        let client = kosmos::Client::connect(community, encrypted).await?;
        run_with(client, plan).await
    } else if args.ceremony.is_hanko_public() {
        let base = format!("{}/{}", args.url.trim_end_matches('/'), args.tenant);
        let client = hanko_public::Client::connect(base, args.origin.clone())?;
        run_with(client, plan).await
    } else {
        let tenant = Tenant {
            base: format!("{}/{}", args.url.trim_end_matches('/'), args.tenant),
            api_key: args.api_key.clone().ok_or_else(|| missing("api-key"))?,
            origin: args.origin.clone(),
            rp_id: args.rp_id.clone(),
        };
        run_with(hanko::Client::connect(tenant).await?, plan).await
    }
}

async fn run_with<C: Dialect>(client: C, plan: Plan) -> Result<Outcome, Error> {
    run::run(Arc::new(client), plan).await
}

/// What the arguments ask for.
fn plan(args: &Args) -> Result<Plan, Error> {
    let length = match args.passes {
        Some(_) if args.ceremony.registers() => {
            return Err(Error::Wire(format!(
                "--passes counts logins of the users set up; {:?} registers new ones",
                args.ceremony
            )));
        }
        Some(passes) => Length::Passes(passes),
        None => Length::Duration(Duration::from_secs_f64(args.duration.max(0.1))),
    };
    Ok(Plan {
        ceremony: args.ceremony,
        workers: args.workers.max(1),
        users: args.users,
        warmup: Duration::from_secs_f64(args.warmup.max(0.0)),
        length,
        probes: args.probes,
        run_id: args.run_id.clone().unwrap_or_else(run_id),
        server_pid: args.server_pid,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = match plan(&args) {
        Ok(plan) => drive(&args, plan).await,
        Err(error) => Err(error),
    };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(error) => {
            eprintln!("loadgen: {error}");
            return ExitCode::from(2);
        }
    };
    let failed = outcome.errors > 0;
    let report = Report {
        label: &args.label,
        ceremony: args.ceremony,
        workers: args.workers,
        users: args.users,
        warmup_seconds: args.warmup,
        passes: args.passes,
        outcome,
    };
    match serde_json::to_string(&report) {
        Ok(json) => println!("{json}"),
        Err(error) => {
            eprintln!("loadgen: {error}");
            return ExitCode::from(2);
        }
    }
    if failed {
        for error in &report.outcome.first_errors {
            eprintln!("loadgen: wrong answer: {error}");
        }
        eprintln!("loadgen: {} wrong answers", report.outcome.errors);
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn args(extra: &[&str]) -> Result<Args, clap::Error> {
        let base = ["loadgen", "--url", "http://127.0.0.1:1", "--tenant", "t"];
        Args::try_parse_from(base.iter().chain(extra))
    }

    #[test]
    fn passes_replace_the_duration() {
        let length = |extra: &[&str]| plan(&args(extra).unwrap()).unwrap().length;
        assert_eq!(length(&["--passes", "3"]), Length::Passes(3));
        assert_eq!(
            length(&["--duration", "4"]),
            Length::Duration(Duration::from_secs(4))
        );
    }

    #[test]
    fn passes_and_a_duration_together_are_refused() {
        let error = args(&["--passes", "1", "--duration", "5"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ArgumentConflict);
    }

    #[test]
    fn zero_passes_are_refused() {
        let error = args(&["--passes", "0"]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::ValueValidation);
    }

    #[test]
    fn passes_are_refused_for_a_ceremony_that_registers_new_users() {
        for ceremony in ["register", "public-register", "kosmos-register"] {
            let parsed = args(&["--passes", "2", "--ceremony", ceremony]).unwrap();
            assert!(plan(&parsed).is_err(), "{ceremony}");
        }
        let parsed = args(&["--passes", "2", "--ceremony", "public-login"]).unwrap();
        assert_eq!(plan(&parsed).unwrap().length, Length::Passes(2));
    }
}
