//! `latchkey --help` from the real binary: it exits 0 and lists every subcommand, each of which
//! answers `--help` too, so a packaging or argument-definition mistake fails here and not at a user.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

/// Every subcommand `main.rs` defines; a new one is added here so its help is checked as well.
const SUBCOMMANDS: [&str; 7] = [
    "serve", "migrate", "tenant", "apikey", "kosmos", "mds", "inspect",
];

fn latchkey(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_lists_every_subcommand() {
    let out = latchkey(&["--help"]);
    assert!(out.status.success(), "{out:?}");
    let help = String::from_utf8(out.stdout).unwrap();
    for name in SUBCOMMANDS {
        assert!(
            help.lines()
                .any(|line| line.split_whitespace().next() == Some(name)),
            "`{name}` is missing from:\n{help}"
        );
    }
}

#[test]
fn every_subcommand_answers_help() {
    for name in SUBCOMMANDS {
        let out = latchkey(&[name, "--help"]);
        assert!(out.status.success(), "`latchkey {name} --help`: {out:?}");
    }
}
