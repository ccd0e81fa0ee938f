//! What one login pays to sign its token, per key type. Issue 4 chose RS256-2048 as the default
//! because the original's RS256-4096 keys cost about eight times as much per token.

#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use latchkey_engine::keys::{RsaKeySize, Signer, generate_signing_key};
use latchkey_engine::model::{SigningAlgorithm, TenantId};
use latchkey_engine::secrets::MasterKey;
use latchkey_engine::tokens::{Claims, sign_token};
use time::OffsetDateTime;
use uuid::Uuid;

fn sign(c: &mut Criterion) {
    let master = MasterKey::generate().unwrap();
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let claims = Claims::new("user-42", "login.example.com", &[7; 16], None, now);
    let mut group = c.benchmark_group("sign_token");
    for (name, algorithm, size) in [
        ("RS256-2048", SigningAlgorithm::RS256, RsaKeySize::Bits2048),
        ("RS256-3072", SigningAlgorithm::RS256, RsaKeySize::Bits3072),
        ("RS256-4096", SigningAlgorithm::RS256, RsaKeySize::Bits4096),
        ("ES256", SigningAlgorithm::ES256, RsaKeySize::default()),
        ("EdDSA", SigningAlgorithm::EdDSA, RsaKeySize::default()),
    ] {
        let key =
            generate_signing_key(TenantId(Uuid::nil()), algorithm, size, &master, now).unwrap();
        let signer = Signer::load(&key, &master).unwrap();
        group.bench_function(name, |b| b.iter(|| sign_token(&signer, &claims).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, sign);
criterion_main!(benches);
