//! The server's configuration: built-in defaults, then a TOML file (`--config`), then
//! `LATCHKEY_*` environment variables, each overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where a configuration value came from, for error messages.
const ENV_PREFIX: &str = "LATCHKEY_";

/// The configuration as the commands use it.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// `sqlite://path/to/file.db` or `postgres://user@host:port/database`.
    pub database_url: String,
    /// Address of the public API (the dialects).
    pub listen: SocketAddr,
    /// Address of the admin API.
    pub admin_listen: SocketAddr,
    /// The master key that encrypts signing keys at rest, as base64url text.
    pub master_key: Option<String>,
    /// A file holding the master key text.
    pub master_key_file: Option<PathBuf>,
    /// Bearer token the admin API requires; mandatory when it listens beyond loopback.
    pub admin_token: Option<String>,
}

/// Secrets (the master key, the admin token, a password in the database URL) stay out of logs
/// and panic messages.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let database = match self.database_url.split_once('@') {
            Some((_, host)) => format!("<credentials>@{host}"),
            None => self.database_url.clone(),
        };
        f.debug_struct("Config")
            .field("database_url", &database)
            .field("listen", &self.listen)
            .field("admin_listen", &self.admin_listen)
            .field("master_key", &self.master_key.as_ref().map(|_| "<set>"))
            .field("master_key_file", &self.master_key_file)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://latchkey.db".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 8001)),
            master_key: None,
            master_key_file: None,
            admin_token: None,
        }
    }
}

/// The TOML file: every key optional.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
    master_key: Option<String>,
    master_key_file: Option<PathBuf>,
    admin_token: Option<String>,
}

impl Config {
    /// Defaults, overridden by `file` if given, overridden by the environment `env` yields.
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut config = Self::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let file: File =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            config.apply(file);
        }
        let var = |name: &str| env(&format!("{ENV_PREFIX}{name}")).filter(|v| !v.is_empty());
        let address = |name: &str| -> Result<Option<SocketAddr>, String> {
            var(name)
                .map(|value| {
                    value.parse().map_err(|_| {
                        format!(
                            "{ENV_PREFIX}{name}: {value:?} is not an address like 127.0.0.1:8000"
                        )
                    })
                })
                .transpose()
        };
        config.apply(File {
            database_url: var("DATABASE_URL"),
            listen: address("LISTEN")?,
            admin_listen: address("ADMIN_LISTEN")?,
            master_key: var("MASTER_KEY"),
            master_key_file: var("MASTER_KEY_FILE").map(PathBuf::from),
            admin_token: var("ADMIN_TOKEN"),
        });
        Ok(config)
    }

    fn apply(&mut self, file: File) {
        let File {
            database_url,
            listen,
            admin_listen,
            master_key,
            master_key_file,
            admin_token,
        } = file;
        if let Some(value) = database_url {
            self.database_url = value;
        }
        if let Some(value) = listen {
            self.listen = value;
        }
        if let Some(value) = admin_listen {
            self.admin_listen = value;
        }
        if master_key.is_some() {
            self.master_key = master_key;
        }
        if master_key_file.is_some() {
            self.master_key_file = master_key_file;
        }
        if admin_token.is_some() {
            self.admin_token = admin_token;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn without_configuration_it_serves_sqlite_in_the_working_directory_on_loopback() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.database_url, "sqlite://latchkey.db");
        assert!(config.listen.ip().is_loopback() && config.admin_listen.ip().is_loopback());
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("latchkey-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("latchkey.toml");
        std::fs::write(
            &path,
            "database_url = \"postgres://db/latchkey\"\nlisten = \"0.0.0.0:9000\"\nadmin_token = \"t\"\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&path),
            env(&[
                ("LATCHKEY_LISTEN", "127.0.0.1:0"),
                ("LATCHKEY_ADMIN_LISTEN", ""),
            ]),
        )
        .unwrap();
        assert_eq!(config.database_url, "postgres://db/latchkey");
        assert_eq!(config.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(config.admin_listen, Config::default().admin_listen);
        assert_eq!(config.admin_token.as_deref(), Some("t"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = Config {
            database_url: "postgres://app:hunter2@db/latchkey".into(),
            master_key: Some("master-secret".into()),
            admin_token: Some("admin-secret".into()),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        for secret in ["hunter2", "master-secret", "admin-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("@db/latchkey"));
    }

    #[test]
    fn unknown_keys_and_bad_addresses_are_errors() {
        let dir = std::env::temp_dir().join(format!("latchkey-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("latchkey.toml");
        std::fs::write(&path, "databse_url = \"x\"\n").unwrap();
        assert!(Config::load(Some(&path), env(&[])).is_err());
        std::fs::remove_dir_all(dir).unwrap();
        let bad = Config::load(None, env(&[("LATCHKEY_LISTEN", "localhost")]));
        assert!(bad.unwrap_err().contains("LATCHKEY_LISTEN"));
    }
}
