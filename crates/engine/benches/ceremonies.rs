//! The finish of a registration and of a login through the engine, without HTTP, over an
//! in-memory SQLite store: what one ceremony costs the server besides the wire. Starting the
//! ceremony and the authenticator's signature are set up outside the measured part, so a
//! regression in the finish path (verification, store round trips, token signature) shows here
//! without a load run. `scripts/bench` measures the whole server beside a reference.

#![allow(clippy::unwrap_used)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use latchkey_engine::ceremonies::{CeremonyKind, NewUser};
use latchkey_engine::model::{CounterRule, SigningAlgorithm, TenantId};
use latchkey_engine::{Engine, RequestMeta};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::{SoftAuthenticator, fixtures};
use time::OffsetDateTime;
use tokio::runtime::Runtime;

const RP_ID: &str = "login.example.com";
const ORIGIN: &str = "https://login.example.com";
const USER: &str = "5a1d0c8e-7f43-4b8e-9a61-2f0b6c3d9e17";

fn meta() -> RequestMeta {
    RequestMeta {
        request_id: "bench".into(),
        source_ip: "192.0.2.1".into(),
        user_agent: "criterion".into(),
    }
}

fn user() -> NewUser {
    NewUser {
        external_id: USER.into(),
        name: "alice".into(),
        display_name: "Alice".into(),
        icon: None,
    }
}

/// An engine with one tenant signing with `algorithm`, at a fixed time.
fn tenant(runtime: &Runtime, algorithm: SigningAlgorithm) -> (Engine<SqliteStore>, TenantId) {
    runtime.block_on(async {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let engine = fixtures::engine_at(move || now).await;
        let (tenant, _) = fixtures::tenant(RP_ID)
            .signing(algorithm)
            .counter(CounterRule::Reject)
            .create(&engine, None)
            .await;
        (engine, tenant.id)
    })
}

/// A registration response to a started ceremony, from a new authenticator each time.
fn registration(runtime: &Runtime, engine: &Engine<SqliteStore>, tenant: TenantId) -> Vec<u8> {
    let options = runtime
        .block_on(engine.start_registration(tenant, user(), CeremonyKind::Passkey, &meta()))
        .unwrap();
    SoftAuthenticator::es256()
        .register(RP_ID, ORIGIN, &options.challenge)
        .to_string()
        .into_bytes()
}

fn finish(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let mut group = c.benchmark_group("finish");
    for (name, algorithm) in [
        ("RS256-2048", SigningAlgorithm::RS256),
        ("ES256", SigningAlgorithm::ES256),
    ] {
        let (engine, tenant) = self::tenant(&runtime, algorithm);
        group.bench_function(format!("registration/{name}"), |b| {
            b.iter_batched(
                || registration(&runtime, &engine, tenant),
                |response| {
                    runtime
                        .block_on(engine.finish_registration(
                            tenant,
                            &response,
                            CeremonyKind::Passkey,
                            &meta(),
                        ))
                        .unwrap()
                },
                BatchSize::SmallInput,
            );
        });

        let mut authenticator = SoftAuthenticator::es256();
        let registered = authenticator
            .register(
                RP_ID,
                ORIGIN,
                &runtime
                    .block_on(engine.start_registration(
                        tenant,
                        user(),
                        CeremonyKind::Passkey,
                        &meta(),
                    ))
                    .unwrap()
                    .challenge,
            )
            .to_string();
        runtime
            .block_on(engine.finish_registration(
                tenant,
                registered.as_bytes(),
                CeremonyKind::Passkey,
                &meta(),
            ))
            .unwrap();
        // Assertions are made in the order they are finished, so each counter is higher
        // than the one stored before it.
        group.bench_function(format!("login/{name}"), |b| {
            b.iter_batched(
                || {
                    let options = runtime
                        .block_on(engine.start_login(tenant, None, &meta()))
                        .unwrap();
                    authenticator
                        .assert(RP_ID, ORIGIN, &options.challenge, USER.as_bytes())
                        .to_string()
                        .into_bytes()
                },
                |response| {
                    runtime
                        .block_on(engine.finish_login(tenant, &response, &meta()))
                        .unwrap()
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, finish);
criterion_main!(benches);
