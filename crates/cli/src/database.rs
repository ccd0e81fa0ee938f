//! Opening the configured store and its master key.

use std::fs;
use std::io::Write as _;
use std::path::PathBuf;
use std::str::FromStr;

use latchkey_engine::secrets::MasterKey;
use latchkey_store_postgres::PostgresStore;
use latchkey_store_sqlite::{SqliteStore, database_file};

use crate::config::Config;

/// The store a database URL names.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Runs `$body` with `$store` bound to the concrete store inside `$database`: the engine and
/// the server are generic over the store, so each backend gets its own instantiation.
macro_rules! with_store {
    ($database:expr, $store:ident => $body:expr) => {
        match $database {
            $crate::database::Database::Sqlite($store) => $body,
            $crate::database::Database::Postgres($store) => $body,
        }
    };
}
pub(crate) use with_store;

impl Database {
    /// Connects to the configured database and brings its schema up to date.
    pub async fn open(config: &Config) -> Result<Self, String> {
        let url = config.database_url.as_str();
        let database = if url.starts_with("sqlite:") {
            Self::Sqlite(
                SqliteStore::connect(url)
                    .await
                    .map_err(|e| format!("cannot open {url}: {e}"))?,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres(
                PostgresStore::connect(url, config.database_acquire_timeout)
                    .await
                    .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?,
            )
        } else {
            return Err(format!(
                "database_url must start with sqlite: or postgres://, not {:?}",
                url.split(':').next().unwrap_or_default()
            ));
        };
        let migrated = match &database {
            Self::Sqlite(store) => store.migrate().await,
            Self::Postgres(store) => store.migrate().await,
        };
        migrated.map_err(|e| format!("migration failed: {e}"))?;
        Ok(database)
    }
}

/// The master key: from the configuration, or from its file, or — for a development instance
/// on an SQLite file — from `<database>.master-key` beside the database, generated on first
/// use. PostgreSQL deployments may run several servers, which must share one key, so they must
/// configure it.
pub fn master_key(config: &Config) -> Result<MasterKey, String> {
    if let Some(text) = &config.master_key {
        return MasterKey::from_str(text).map_err(|e| format!("master_key: {e}"));
    }
    if let Some(path) = &config.master_key_file {
        let text = fs::read_to_string(path)
            .map_err(|e| format!("cannot read master key file {}: {e}", path.display()))?;
        return MasterKey::from_str(&text).map_err(|e| format!("{}: {e}", path.display()));
    }
    let Some(database) = database_file(&config.database_url) else {
        if config.database_url.starts_with("sqlite:") {
            // An in-memory database dies with the process, and so may its key.
            return MasterKey::generate().map_err(|e| e.to_string());
        }
        return Err(
            "a PostgreSQL database needs a master key: set LATCHKEY_MASTER_KEY (32 random bytes \
             as base64url, e.g. from `openssl rand -base64 32 | tr '+/' '-_' | tr -d =`) or \
             master_key_file"
                .to_owned(),
        );
    };
    let mut path = database.into_os_string();
    path.push(".master-key");
    let path = PathBuf::from(path);
    if path.exists() {
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read master key file {}: {e}", path.display()))?;
        return MasterKey::from_str(&text).map_err(|e| format!("{}: {e}", path.display()));
    }
    let key = MasterKey::generate().map_err(|e| e.to_string())?;
    write_private(&path, &key.expose_base64url())
        .map_err(|e| format!("cannot write master key file {}: {e}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "generated a master key for this development database and saved it beside it; \
         signing keys in the database are useless without it, so back it up with the database \
         and configure master_key for production"
    );
    Ok(key)
}

/// Creates `path` readable by its owner only and writes `text` to it.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            database_file("sqlite://latchkey.db"),
            Some("latchkey.db".into())
        );
        assert_eq!(
            database_file("sqlite:///var/lib/latchkey/db.sqlite?mode=rwc"),
            Some("/var/lib/latchkey/db.sqlite".into())
        );
        assert_eq!(database_file("sqlite::memory:"), None);
        assert_eq!(database_file("postgres://db/latchkey"), None);
    }

    #[test]
    fn postgres_without_a_master_key_is_refused() {
        let config = Config {
            database_url: "postgres://db/latchkey".into(),
            ..Config::default()
        };
        assert!(
            master_key(&config)
                .unwrap_err()
                .contains("LATCHKEY_MASTER_KEY")
        );
    }

    #[test]
    fn a_development_key_is_generated_once_beside_the_database() {
        let dir = std::env::temp_dir().join(format!("latchkey-master-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let config = Config {
            database_url: format!("sqlite://{}/dev.db", dir.display()),
            ..Config::default()
        };
        let first = master_key(&config).unwrap().expose_base64url();
        let second = master_key(&config).unwrap().expose_base64url();
        assert_eq!(first, second);
        assert!(dir.join("dev.db.master-key").exists());
        fs::remove_dir_all(dir).unwrap();
    }
}
