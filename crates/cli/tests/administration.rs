//! The administration commands against a fresh SQLite database: what they print, and that a
//! revoked license is gone. (The whole-system tests in tests/system use these commands too.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A scratch directory holding one database (and its generated master key).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("latchkey-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn database(&self) -> String {
        format!("sqlite://{}", self.0.join("latchkey.db").display())
    }

    /// Runs `latchkey ARGS` on this database; its stdout as JSON, or the failure's stderr.
    fn run(&self, args: &[&str]) -> Result<Value, String> {
        self.run_text(args)
            .map(|stdout| serde_json::from_str(&stdout).unwrap())
    }

    /// Runs `latchkey ARGS` on this database; its stdout, or the failure's stderr.
    fn run_text(&self, args: &[&str]) -> Result<String, String> {
        let output = Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .args(args)
            .env("LATCHKEY_DATABASE_URL", self.database())
            .env_remove("LATCHKEY_MASTER_KEY")
            .output()
            .unwrap();
        if output.status.success() {
            Ok(String::from_utf8(output.stdout).unwrap())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// Runs `latchkey tenant create` for `name` served from `https://{rp_id}`; what it prints.
    fn create_tenant(&self, name: &str, rp_id: &str) -> String {
        let origin = format!("https://{rp_id}");
        self.run_text(&[
            "tenant", "create", "--name", name, "--rp-id", rp_id, "--origin", &origin,
        ])
        .unwrap()
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn tenant_create_prints_its_id_and_a_shown_once_api_key() {
    let scratch = Scratch::new("tenant");
    let printed = scratch.create_tenant("Shop", "shop.example");
    // Exactly {"id", "api_key"}, in that order, as documented.
    let created: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(created.as_object().unwrap().len(), 2);
    assert!(printed.find("\"id\"").unwrap() < printed.find("\"api_key\"").unwrap());
    assert_eq!(created["api_key"].as_str().unwrap().len(), 88);
    let listed = scratch.run(&["tenant", "list"]).unwrap();
    assert_eq!(listed[0]["id"], created["id"]);
    assert_eq!(listed[0]["display_name"], "Shop");
    assert_eq!(listed[0]["hanko_public"], false, "off unless asked for");
    // A development database keeps its generated master key beside it, owner-only.
    let key = scratch.path().join("latchkey.db.master-key");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key = scratch
        .run(&[
            "apikey",
            "create",
            "--tenant",
            created["id"].as_str().unwrap(),
        ])
        .unwrap();
    assert_eq!(key["api_key"].as_str().unwrap().len(), 88);
}

#[test]
fn licenses_are_created_listed_without_keys_and_revoked() {
    let scratch = Scratch::new("licenses");
    let created: Value =
        serde_json::from_str(&scratch.create_tenant("Org", "org.example")).unwrap();
    let tenant = created["id"].as_str().unwrap().to_owned();
    let community = scratch
        .run(&[
            "kosmos",
            "community",
            "create",
            "--tenant",
            &tenant,
            "--name",
            "Staff",
            "--dns",
            "Login.Org.Example",
        ])
        .unwrap();
    assert_eq!(community["dns"], "login.org.example");
    let id = community["id"].as_str().unwrap();
    assert_eq!(id.len(), 24);

    let license = scratch
        .run(&[
            "kosmos",
            "license",
            "create",
            "--tenant",
            &tenant,
            "--community",
            id,
        ])
        .unwrap();
    assert_eq!(license["scope"], "community");
    assert_eq!(license["community_id"], id);
    let key = license["license_key"].as_str().unwrap();
    let system = scratch
        .run(&[
            "kosmos", "license", "create", "--tenant", &tenant, "--system",
        ])
        .unwrap();
    assert_eq!(system["scope"], "system");

    let listed = scratch
        .run(&["kosmos", "license", "list", "--tenant", &tenant])
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains(key));
    assert!(listed[0].get("license_key").is_none());

    let license_id = license["id"].as_str().unwrap();
    scratch
        .run(&[
            "kosmos", "license", "revoke", "--tenant", &tenant, "--id", license_id,
        ])
        .unwrap();
    let listed = scratch
        .run(&["kosmos", "license", "list", "--tenant", &tenant])
        .unwrap();
    assert_eq!(listed[0]["id"], system["id"]);
    let again = scratch
        .run(&[
            "kosmos", "license", "revoke", "--tenant", &tenant, "--id", license_id,
        ])
        .unwrap_err();
    assert!(again.contains("license not found"), "{again}");

    let scopes = scratch
        .run(&[
            "kosmos",
            "license",
            "create",
            "--tenant",
            &tenant,
            "--system",
            "--all-communities",
        ])
        .unwrap_err();
    assert!(scopes.contains("cannot be used with"), "{scopes}");
}

#[test]
fn tenant_create_hanko_public_turns_the_public_api_on() {
    let scratch = Scratch::new("hanko-public");
    let created = scratch
        .run(&[
            "tenant",
            "create",
            "--name",
            "Accounts",
            "--rp-id",
            "accounts.example",
            "--origin",
            "https://accounts.example",
            "--hanko-public",
        ])
        .unwrap();
    let listed = scratch.run(&["tenant", "list"]).unwrap();
    assert_eq!(listed[0]["id"], created["id"]);
    assert_eq!(listed[0]["hanko_public"], true);
}

#[test]
fn a_tenants_minimum_certification_is_set_shown_and_cleared() {
    let scratch = Scratch::new("policy");
    let created: Value =
        serde_json::from_str(&scratch.create_tenant("Bank", "bank.example")).unwrap();
    let tenant = created["id"].as_str().unwrap();
    assert_eq!(
        scratch.run(&["tenant", "policy", tenant]).unwrap(),
        serde_json::json!({})
    );
    assert_eq!(
        scratch
            .run(&[
                "tenant",
                "policy",
                tenant,
                "--minimum-certification",
                "L1plus"
            ])
            .unwrap(),
        serde_json::json!({"minimum_certification": "L1plus"})
    );
    assert_eq!(
        scratch.run(&["tenant", "policy", tenant]).unwrap(),
        serde_json::json!({"minimum_certification": "L1plus"}),
        "kept"
    );
    assert_eq!(
        scratch
            .run(&[
                "tenant",
                "policy",
                tenant,
                "--minimum-certification",
                "none"
            ])
            .unwrap(),
        serde_json::json!({})
    );
    let refused = scratch
        .run_text(&["tenant", "policy", tenant, "--minimum-certification", "L4"])
        .unwrap_err();
    assert!(
        refused.contains("L1, L1plus, L2, L2plus, L3, L3plus or none"),
        "{refused}"
    );
}

#[test]
fn a_tenants_own_authenticator_records_are_denied_allowed_and_reset() {
    let scratch = Scratch::new("authenticators");
    let created: Value =
        serde_json::from_str(&scratch.create_tenant("Shop", "shop.example")).unwrap();
    let tenant = created["id"].as_str().unwrap();
    let model = "2fc0579f-8113-47ea-b116-bb5a8db9202a";
    let authenticators =
        |command: &str| scratch.run(&["tenant", "authenticators", command, tenant, model]);
    let denied = authenticators("deny").unwrap();
    assert_eq!(denied["aaguid"], model);
    assert_eq!(denied["disabled"], true);
    assert_eq!(denied["scope"], "tenant");
    assert_eq!(denied["certification"], Value::Null);
    assert_eq!(denied["updated_by"], "latchkey tenant authenticators");
    let listed = scratch
        .run(&["tenant", "authenticators", "list", tenant])
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["disabled"], true);
    assert_eq!(authenticators("allow").unwrap()["disabled"], false);
    assert_eq!(
        authenticators("reset").unwrap(),
        serde_json::json!({"aaguid": model, "reset": true})
    );
    assert_eq!(
        scratch
            .run(&["tenant", "authenticators", "list", tenant])
            .unwrap(),
        serde_json::json!([])
    );
    let missing = authenticators("reset").unwrap_err();
    assert!(
        missing.contains("authenticator policy not found"),
        "{missing}"
    );
    let unknown = scratch
        .run_text(&[
            "tenant",
            "authenticators",
            "deny",
            "00000000-0000-0000-0000-000000000000",
            model,
        ])
        .unwrap_err();
    assert!(unknown.contains("tenant not found"), "{unknown}");
}
