//! `Server::start` and `Server::serve` as the CLI calls them: both listeners answer, a shutdown
//! drains and closes the store, and what was committed is in the SQLite main file afterwards.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use latchkey_engine::ReadTx as _;
use latchkey_engine::Store;
use latchkey_engine::rate_limit::RateLimits;
use latchkey_engine::secrets::MasterKey;
use latchkey_server::{AdminOptions, ListenerLimits, Listeners, Options, Server, TrustedProxies};
use latchkey_store_sqlite::SqliteStore;
use latchkey_testkit::fixtures;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

fn options() -> Options {
    // A test that runs the server as deployed reads the clock as the CLI does.
    #[allow(clippy::disallowed_methods)]
    let clock = OffsetDateTime::now_utc;
    Options {
        admin: AdminOptions::default(),
        trusted_proxies: TrustedProxies::default(),
        limits: ListenerLimits::default(),
        admin_limits: ListenerLimits::default(),
        rate_limits: RateLimits::default(),
        rate_limit_redis_url: None,
        audit_retention: None,
        cleanup_interval: Duration::from_secs(60),
        smtp: None,
        default_tenant: None,
        demo: None,
        clock,
    }
}

/// One HTTP/1.1 exchange over a fresh connection; the status code and the body.
async fn exchange(address: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: passkeys.example\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    })
    .await
    .unwrap()
}

fn database_file() -> PathBuf {
    std::env::temp_dir().join(format!("latchkey-front-door-{}.db", uuid::Uuid::new_v4()))
}

async fn sqlite_store(path: &std::path::Path) -> SqliteStore {
    let store = SqliteStore::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test]
async fn a_served_server_answers_on_both_listeners_and_stops_with_its_store_closed() {
    let path = database_file();
    let store = sqlite_store(&path).await;
    let listeners = Listeners {
        public: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        admin: TcpListener::bind("127.0.0.1:0").await.unwrap(),
    };
    let (public, admin) = (
        listeners.public.local_addr().unwrap(),
        listeners.admin.local_addr().unwrap(),
    );
    let server = Server::start(store, MasterKey::generate().unwrap(), options())
        .await
        .unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(server.serve(listeners, async {
        let _ = stopped.await;
    }));

    let (status, _) = exchange(admin, "GET", "/health/alive", "").await;
    assert_eq!(status, 200);
    let tenant = fixtures::tenant("passkeys.example").admin_body(false);
    let (status, created) = exchange(admin, "POST", "/tenants", &tenant.to_string()).await;
    assert_eq!(status, 201, "{created}");
    let created: serde_json::Value = serde_json::from_str(&created).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    // The public app is the whole one: both dialects behind one listener.
    let (status, jwks) = exchange(public, "GET", &format!("/{id}/.well-known/jwks.json"), "").await;
    assert_eq!(status, 200, "{jwks}");
    let (status, key) = exchange(public, "GET", "/webauthn/publickeys", "").await;
    assert_eq!(status, 200, "{key}");

    stop.send(()).unwrap();
    served.await.unwrap();

    let wal = PathBuf::from(format!("{}-wal", path.display()));
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
    // A copy of the main file alone is a backup of everything committed.
    let copy = database_file();
    std::fs::copy(&path, &copy).unwrap();
    let reopened = sqlite_store(&copy).await;
    let organisations = reopened
        .read()
        .await
        .unwrap()
        .organisations()
        .await
        .unwrap();
    assert!(
        organisations
            .iter()
            .any(|tenant| tenant.id.0.to_string() == id)
    );
    reopened.close().await;
    for file in [path, copy] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
}
