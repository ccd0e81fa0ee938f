//! Every input of `crates/server/fuzz/seeds` (the fuzz targets' seeds, and the inputs of any
//! crash they found, kept there as regressions) runs through its target's entry point on every
//! `cargo test`: a panic fails the test.

use std::path::Path;

use latchkey_server::fuzzing;

/// What a fuzz target calls with its input.
type EntryPoint = fn(&[u8]);

#[test]
fn every_fuzz_seed_runs_without_a_panic() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let targets: [(&str, EntryPoint); 6] = [
        ("hanko_passkey_request", fuzzing::hanko_passkey_request),
        ("hanko_public_request", fuzzing::hanko_public_request),
        ("kosmos_request", fuzzing::kosmos_request),
        ("kosmos_envelope", fuzzing::kosmos_envelope),
        ("kosmos_sealed", fuzzing::kosmos_sealed),
        ("admin_request", fuzzing::admin_request),
    ];
    for (target, run) in targets {
        let mut count = 0;
        for entry in std::fs::read_dir(seeds.join(target)).unwrap() {
            let path = entry.unwrap().path();
            run(&std::fs::read(&path).unwrap());
            count += 1;
        }
        assert!(count > 0, "no seeds for {target}");
    }
}
