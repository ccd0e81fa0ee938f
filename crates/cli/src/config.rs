//! The server's configuration: built-in defaults, then a TOML file (`--config`), then
//! `LATCHKEY_*` environment variables, each overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use latchkey_engine::model::hanko_public::{SmtpSettings, SmtpTls};
use latchkey_engine::rate_limit::RateLimits;
use latchkey_server::ListenerLimits;
use serde::Deserialize;
use uuid::Uuid;

/// Where a configuration value came from, for error messages.
const ENV_PREFIX: &str = "LATCHKEY_";

/// The configuration as the commands use it.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// `sqlite://path/to/file.db` or `postgres://user@host:port/database`.
    pub database_url: String,
    /// How long a request waits for a PostgreSQL connection before it is answered 503.
    pub database_acquire_timeout: Duration,
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
    /// Proxies whose `X-Forwarded-For` / `X-Real-Ip` name the client; empty: the peer is.
    pub trusted_proxies: Vec<IpNet>,
    /// Audit events older than this many days are removed; 0 keeps them forever.
    pub audit_retention_days: u32,
    /// How often expired ceremonies, sessions, passcodes and one-time tokens are removed.
    pub cleanup_interval: Duration,
    /// Budgets of keyless ceremony requests.
    pub rate_limits: RateLimits,
    /// Redis shared by every server for the rate-limit counts; without it each process counts.
    pub rate_limit_redis_url: Option<String>,
    /// Deadlines and caps of the public listener.
    pub limits: ListenerLimits,
    /// Connections the admin listener serves at once.
    pub admin_max_connections: usize,
    /// The mail server for passcodes of tenants without their own.
    pub smtp: Option<SmtpSettings>,
    /// The tenant whose Hanko Public API is also served at the root of the public listener.
    pub default_tenant: Option<Uuid>,
    /// Development mode: no configuration file, the built-in database (not named by
    /// `LATCHKEY_DATABASE_URL`) and no master key. Only then does `serve` make the `default`
    /// tenant and serve the demo page; listen addresses, the log filter and the other settings
    /// may be set from the environment without leaving it.
    pub development: bool,
}

/// Secrets (the master key, the admin token, a password in the database URL, the SMTP password)
/// stay out of logs and panic messages.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let database = match self.database_url.split_once('@') {
            Some((_, host)) => format!("<credentials>@{host}"),
            None => self.database_url.clone(),
        };
        f.debug_struct("Config")
            .field("database_url", &database)
            .field("database_acquire_timeout", &self.database_acquire_timeout)
            .field("listen", &self.listen)
            .field("admin_listen", &self.admin_listen)
            .field("master_key", &self.master_key.as_ref().map(|_| "<set>"))
            .field("master_key_file", &self.master_key_file)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<set>"))
            .field("trusted_proxies", &self.trusted_proxies)
            .field("audit_retention_days", &self.audit_retention_days)
            .field("cleanup_interval", &self.cleanup_interval)
            .field("rate_limits", &self.rate_limits)
            .field(
                "rate_limit_redis_url",
                &self.rate_limit_redis_url.as_ref().map(|_| "<set>"),
            )
            .field("limits", &self.limits)
            .field("admin_max_connections", &self.admin_max_connections)
            .field("smtp", &self.smtp)
            .field("default_tenant", &self.default_tenant)
            .field("development", &self.development)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://latchkey.db".to_owned(),
            database_acquire_timeout: latchkey_store_postgres::DEFAULT_ACQUIRE_TIMEOUT,
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 8001)),
            master_key: None,
            master_key_file: None,
            admin_token: None,
            trusted_proxies: Vec::new(),
            audit_retention_days: 90,
            cleanup_interval: Duration::from_secs(60),
            rate_limits: RateLimits::default(),
            rate_limit_redis_url: None,
            limits: ListenerLimits::default(),
            admin_max_connections: 64,
            smtp: None,
            default_tenant: None,
            development: true,
        }
    }
}

/// The TOML file: every key optional.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    database_url: Option<String>,
    database_acquire_timeout_secs: Option<u64>,
    listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
    master_key: Option<String>,
    master_key_file: Option<PathBuf>,
    admin_token: Option<String>,
    #[serde(default, deserialize_with = "networks")]
    trusted_proxies: Option<Vec<IpNet>>,
    audit_retention_days: Option<u32>,
    cleanup_interval_secs: Option<u64>,
    rate_limit_redis_url: Option<String>,
    rate_limit_window_secs: Option<u64>,
    rate_limit_starts_per_address: Option<u32>,
    rate_limit_starts_per_tenant: Option<u32>,
    rate_limit_failures_per_address: Option<u32>,
    rate_limit_failures_per_tenant: Option<u32>,
    header_timeout_secs: Option<u64>,
    body_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    admin_max_connections: Option<usize>,
    max_header_bytes: Option<usize>,
    smtp: Option<SmtpFile>,
    default_tenant: Option<Uuid>,
}

/// The `[smtp]` table; with any of its keys, `host` must be given (here or in the environment).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpFile {
    host: Option<String>,
    port: Option<u16>,
    tls: Option<SmtpTls>,
    user: Option<String>,
    password: Option<String>,
}

impl SmtpFile {
    fn is_empty(&self) -> bool {
        self.host.is_none()
            && self.port.is_none()
            && self.tls.is_none()
            && self.user.is_none()
            && self.password.is_none()
    }
}

impl Config {
    /// Defaults, overridden by `file` if given, overridden by the environment `env` yields.
    /// Either one naming the database or a master key, or a file at all, leaves development
    /// mode.
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut config = Self::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let file: File =
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            config.apply(file)?;
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
        let trusted_proxies = var("TRUSTED_PROXIES")
            .map(|value| {
                value
                    .split(',')
                    .map(|network| parse_network(network.trim()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("{ENV_PREFIX}TRUSTED_PROXIES: {e}"))
            })
            .transpose()?;
        let smtp_tls = var("SMTP_TLS")
            .map(|value| match value.trim().to_ascii_lowercase().as_str() {
                "none" => Ok(SmtpTls::None),
                "starttls" => Ok(SmtpTls::Starttls),
                "tls" => Ok(SmtpTls::Tls),
                _ => Err(format!(
                    "{ENV_PREFIX}SMTP_TLS: {value:?} is not one of none, starttls, tls"
                )),
            })
            .transpose()?;
        config.apply(File {
            database_url: var("DATABASE_URL"),
            database_acquire_timeout_secs: number(&var, "DATABASE_ACQUIRE_TIMEOUT_SECS")?,
            listen: address("LISTEN")?,
            admin_listen: address("ADMIN_LISTEN")?,
            master_key: var("MASTER_KEY"),
            master_key_file: var("MASTER_KEY_FILE").map(PathBuf::from),
            admin_token: var("ADMIN_TOKEN"),
            trusted_proxies,
            audit_retention_days: number(&var, "AUDIT_RETENTION_DAYS")?,
            cleanup_interval_secs: number(&var, "CLEANUP_INTERVAL_SECS")?,
            rate_limit_redis_url: var("RATE_LIMIT_REDIS_URL"),
            rate_limit_window_secs: number(&var, "RATE_LIMIT_WINDOW_SECS")?,
            rate_limit_starts_per_address: number(&var, "RATE_LIMIT_STARTS_PER_ADDRESS")?,
            rate_limit_starts_per_tenant: number(&var, "RATE_LIMIT_STARTS_PER_TENANT")?,
            rate_limit_failures_per_address: number(&var, "RATE_LIMIT_FAILURES_PER_ADDRESS")?,
            rate_limit_failures_per_tenant: number(&var, "RATE_LIMIT_FAILURES_PER_TENANT")?,
            header_timeout_secs: number(&var, "HEADER_TIMEOUT_SECS")?,
            body_timeout_secs: number(&var, "BODY_TIMEOUT_SECS")?,
            max_connections: number(&var, "MAX_CONNECTIONS")?,
            admin_max_connections: number(&var, "ADMIN_MAX_CONNECTIONS")?,
            max_header_bytes: number(&var, "MAX_HEADER_BYTES")?,
            smtp: Some(SmtpFile {
                host: var("SMTP_HOST"),
                port: number(&var, "SMTP_PORT")?,
                tls: smtp_tls,
                user: var("SMTP_USER"),
                password: var("SMTP_PASSWORD"),
            }),
            default_tenant: var("DEFAULT_TENANT")
                .map(|text| {
                    Uuid::parse_str(&text)
                        .map_err(|_| format!("{ENV_PREFIX}DEFAULT_TENANT: {text:?} is not a UUID"))
                })
                .transpose()?,
        })?;
        config.development = file.is_none()
            && var("DATABASE_URL").is_none()
            && config.master_key.is_none()
            && config.master_key_file.is_none();
        Ok(config)
    }

    fn apply(&mut self, file: File) -> Result<(), String> {
        let File {
            database_url,
            database_acquire_timeout_secs,
            listen,
            admin_listen,
            master_key,
            master_key_file,
            admin_token,
            trusted_proxies,
            audit_retention_days,
            cleanup_interval_secs,
            rate_limit_redis_url,
            rate_limit_window_secs,
            rate_limit_starts_per_address,
            rate_limit_starts_per_tenant,
            rate_limit_failures_per_address,
            rate_limit_failures_per_tenant,
            header_timeout_secs,
            body_timeout_secs,
            max_connections,
            admin_max_connections,
            max_header_bytes,
            smtp,
            default_tenant,
        } = file;
        if default_tenant.is_some() {
            self.default_tenant = default_tenant;
        }
        if let Some(value) = database_url {
            self.database_url = value;
        }
        if let Some(seconds) = database_acquire_timeout_secs {
            // A zero timeout would fail every request that finds no idle connection.
            if seconds == 0 {
                return Err("database_acquire_timeout_secs must be at least 1".to_owned());
            }
            self.database_acquire_timeout = Duration::from_secs(seconds);
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
        if rate_limit_redis_url.is_some() {
            self.rate_limit_redis_url = rate_limit_redis_url;
        }
        let seconds = |value: Option<u64>| value.map(Duration::from_secs);
        let limits = &mut self.rate_limits;
        let listener = &mut self.limits;
        set(&mut self.trusted_proxies, trusted_proxies);
        set(&mut self.audit_retention_days, audit_retention_days);
        if cleanup_interval_secs == Some(0) {
            return Err(format!(
                "cleanup_interval_secs ({ENV_PREFIX}CLEANUP_INTERVAL_SECS) must be at least 1"
            ));
        }
        set(&mut self.cleanup_interval, seconds(cleanup_interval_secs));
        set(&mut limits.window, seconds(rate_limit_window_secs));
        set(
            &mut limits.starts_per_address,
            rate_limit_starts_per_address,
        );
        set(&mut limits.starts_per_tenant, rate_limit_starts_per_tenant);
        set(
            &mut limits.failures_per_address,
            rate_limit_failures_per_address,
        );
        set(
            &mut limits.failures_per_tenant,
            rate_limit_failures_per_tenant,
        );
        set(&mut listener.header_timeout, seconds(header_timeout_secs));
        set(&mut listener.body_timeout, seconds(body_timeout_secs));
        set(&mut listener.max_connections, max_connections);
        set(&mut listener.max_header_bytes, max_header_bytes);
        set(&mut self.admin_max_connections, admin_max_connections);
        if let Some(smtp) = smtp.filter(|smtp| !smtp.is_empty()) {
            self.apply_smtp(smtp)?;
        }
        Ok(())
    }

    /// Overlays the keys given on the mail server so far; the first to name one needs its host.
    fn apply_smtp(&mut self, smtp: SmtpFile) -> Result<(), String> {
        let SmtpFile {
            host,
            port,
            tls,
            user,
            password,
        } = smtp;
        let mut settings = match (self.smtp.take(), host) {
            (Some(mut settings), host) => {
                set(&mut settings.host, host);
                settings
            }
            (None, Some(host)) => SmtpSettings {
                host,
                // Hanko's default, as in the engine's `SmtpSettings`.
                port: 465,
                tls: SmtpTls::default(),
                user: String::new(),
                password: String::new(),
            },
            (None, None) => {
                return Err(format!(
                    "smtp.host ({ENV_PREFIX}SMTP_HOST) is required once any smtp setting is given"
                ));
            }
        };
        set(&mut settings.port, port);
        set(&mut settings.tls, tls);
        set(&mut settings.user, user);
        set(&mut settings.password, password);
        if settings.host.trim().is_empty() {
            return Err("smtp.host must not be empty".to_owned());
        }
        self.smtp = Some(settings);
        Ok(())
    }
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

/// The number in environment variable `name`, if set.
fn number<T: FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<T>, String> {
    var(name)
        .map(|value| {
            value
                .trim()
                .parse()
                .map_err(|_| format!("{ENV_PREFIX}{name}: {value:?} is not a whole number"))
        })
        .transpose()
}

fn networks<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<IpNet>>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|text| parse_network(text).map_err(serde::de::Error::custom))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// A network in CIDR notation, or one address (a /32 or /128).
fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not a network like 10.0.0.0/8 or an address"))
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
    fn development_mode_is_the_built_in_database_without_a_file_or_a_master_key() {
        let development =
            |vars: &[(&str, &str)]| Config::load(None, env(vars)).unwrap().development;
        assert!(development(&[]));
        assert!(development(&[
            ("LATCHKEY_LISTEN", "127.0.0.1:0"),
            ("LATCHKEY_ADMIN_LISTEN", "127.0.0.1:0"),
            ("LATCHKEY_LOG", "debug"),
            ("LATCHKEY_DATABASE_URL", ""),
        ]));
        for configured in [
            ("LATCHKEY_DATABASE_URL", "sqlite://latchkey.db"),
            ("LATCHKEY_DATABASE_URL", "postgres://db/latchkey"),
            ("LATCHKEY_MASTER_KEY", "a-key"),
            ("LATCHKEY_MASTER_KEY_FILE", "/etc/latchkey/master-key"),
        ] {
            assert!(!development(&[configured]), "{configured:?}");
        }

        let dir = std::env::temp_dir().join(format!("latchkey-config-dev-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("latchkey.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:0\"\n").unwrap();
        let from_file = Config::load(Some(&path), env(&[])).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(from_file.database_url, Config::default().database_url);
        assert!(
            !from_file.development,
            "a configuration file, however small"
        );
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
    fn the_cleanup_interval_is_a_minute_unless_configured_and_never_zero() {
        assert_eq!(Config::default().cleanup_interval, Duration::from_secs(60));
        let config = Config::load(None, env(&[("LATCHKEY_CLEANUP_INTERVAL_SECS", "5")])).unwrap();
        assert_eq!(config.cleanup_interval, Duration::from_secs(5));
        let zero = Config::load(None, env(&[("LATCHKEY_CLEANUP_INTERVAL_SECS", "0")]));
        assert!(zero.unwrap_err().contains("LATCHKEY_CLEANUP_INTERVAL_SECS"));
    }

    #[test]
    fn hardening_settings_from_file_and_environment() {
        let dir = std::env::temp_dir().join(format!("latchkey-config-hard-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("latchkey.toml");
        std::fs::write(
            &path,
            "trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.1\"]\nrate_limit_starts_per_address = 5\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&path),
            env(&[
                ("LATCHKEY_AUDIT_RETENTION_DAYS", "7"),
                ("LATCHKEY_HEADER_TIMEOUT_SECS", "3"),
            ]),
        )
        .unwrap();
        assert_eq!(
            config.trusted_proxies,
            vec![
                "10.0.0.0/8".parse::<IpNet>().unwrap(),
                "192.0.2.1/32".parse().unwrap()
            ]
        );
        assert_eq!(config.rate_limits.starts_per_address, 5);
        assert_eq!(config.audit_retention_days, 7);
        assert_eq!(config.limits.header_timeout, Duration::from_secs(3));
        std::fs::remove_dir_all(dir).unwrap();
        let bad = Config::load(
            None,
            env(&[("LATCHKEY_TRUSTED_PROXIES", "10.0.0.0/8, nope")]),
        );
        assert!(bad.unwrap_err().contains("nope"));
    }

    #[test]
    fn the_database_acquire_timeout_is_a_few_seconds_unless_configured() {
        assert_eq!(
            Config::default().database_acquire_timeout,
            Duration::from_secs(3)
        );
        let config = Config::load(
            None,
            env(&[("LATCHKEY_DATABASE_ACQUIRE_TIMEOUT_SECS", "1")]),
        )
        .unwrap();
        assert_eq!(config.database_acquire_timeout, Duration::from_secs(1));
        let zero = Config::load(
            None,
            env(&[("LATCHKEY_DATABASE_ACQUIRE_TIMEOUT_SECS", "0")]),
        );
        assert!(zero.unwrap_err().contains("at least 1"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = Config {
            database_url: "postgres://app:hunter2@db/latchkey".into(),
            master_key: Some("master-secret".into()),
            admin_token: Some("admin-secret".into()),
            smtp: Some(SmtpSettings {
                host: "mail.example.com".into(),
                port: 587,
                tls: SmtpTls::Starttls,
                user: "mailer".into(),
                password: "smtp-secret".into(),
            }),
            ..Config::default()
        };
        let shown = format!("{config:?}");
        assert!(shown.contains("mail.example.com"), "{shown}");
        for secret in ["hunter2", "master-secret", "admin-secret", "smtp-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("@db/latchkey"));
    }

    #[test]
    fn the_smtp_table_with_hankos_defaults() {
        let dir = std::env::temp_dir().join(format!("latchkey-config-smtp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("latchkey.toml");
        std::fs::write(&path, "[smtp]\nhost = \"mail.example.com\"\n").unwrap();
        let config = Config::load(Some(&path), env(&[])).unwrap();
        assert_eq!(
            config.smtp,
            Some(SmtpSettings {
                host: "mail.example.com".into(),
                port: 465,
                tls: SmtpTls::Tls,
                user: String::new(),
                password: String::new(),
            })
        );

        std::fs::write(
            &path,
            "[smtp]\nhost = \"mail.example.com\"\nport = 587\ntls = \"starttls\"\n\
             user = \"mailer\"\npassword = \"from-file\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path), env(&[])).unwrap();
        let smtp = config.smtp.unwrap();
        assert_eq!((smtp.port, smtp.tls), (587, SmtpTls::Starttls));
        assert_eq!(
            (smtp.user.as_str(), smtp.password.as_str()),
            ("mailer", "from-file")
        );

        std::fs::write(
            &path,
            "[smtp]\nhost = \"mail.example.com\"\ntls = \"ssl\"\n",
        )
        .unwrap();
        assert!(Config::load(Some(&path), env(&[])).is_err());
        std::fs::write(
            &path,
            "[smtp]\nhost = \"mail.example.com\"\nsender = \"x\"\n",
        )
        .unwrap();
        assert!(Config::load(Some(&path), env(&[])).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_environment_overrides_smtp_key_by_key() {
        let dir =
            std::env::temp_dir().join(format!("latchkey-config-smtp-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("latchkey.toml");
        std::fs::write(
            &path,
            "[smtp]\nhost = \"mail.example.com\"\nuser = \"mailer\"\npassword = \"old\"\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&path),
            env(&[
                ("LATCHKEY_SMTP_PASSWORD", "new"),
                ("LATCHKEY_SMTP_PORT", "2525"),
                ("LATCHKEY_SMTP_TLS", "none"),
            ]),
        )
        .unwrap();
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(
            config.smtp,
            Some(SmtpSettings {
                host: "mail.example.com".into(),
                port: 2525,
                tls: SmtpTls::None,
                user: "mailer".into(),
                password: "new".into(),
            })
        );

        let from_env = Config::load(
            None,
            env(&[
                ("LATCHKEY_SMTP_HOST", "relay.internal"),
                ("LATCHKEY_SMTP_TLS", "STARTTLS"),
            ]),
        )
        .unwrap()
        .smtp
        .unwrap();
        assert_eq!(
            (from_env.host.as_str(), from_env.port, from_env.tls),
            ("relay.internal", 465, SmtpTls::Starttls)
        );

        let without_host = Config::load(None, env(&[("LATCHKEY_SMTP_PASSWORD", "p")]));
        assert!(without_host.unwrap_err().contains("LATCHKEY_SMTP_HOST"));
        let bad_tls = Config::load(
            None,
            env(&[("LATCHKEY_SMTP_HOST", "h"), ("LATCHKEY_SMTP_TLS", "ssl")]),
        );
        assert!(bad_tls.unwrap_err().contains("LATCHKEY_SMTP_TLS"));
        let bad_port = Config::load(
            None,
            env(&[("LATCHKEY_SMTP_HOST", "h"), ("LATCHKEY_SMTP_PORT", "99999")]),
        );
        assert!(bad_port.unwrap_err().contains("LATCHKEY_SMTP_PORT"));
        assert_eq!(Config::load(None, env(&[])).unwrap().smtp, None);
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
