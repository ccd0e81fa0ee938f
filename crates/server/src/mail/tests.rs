//! The mailer against an SMTP sink in the test itself: a listener that answers as a mail server
//! would and writes down what it was told.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use latchkey_engine::model::hanko_public::{SmtpSettings, SmtpTls};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// What a sink was told: connections it took, every command line, every mail as its lines.
#[derive(Debug, Default)]
struct Seen {
    connections: usize,
    commands: Vec<String>,
    mails: Vec<Vec<String>>,
}

struct Sink {
    address: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

/// How a sink behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Takes every login and every mail.
    Welcoming,
    /// Refuses logins, quoting what it was sent, as a careless server might.
    RejectingLogin,
    /// Answers every line, the greeting included, after 300 ms.
    Slow,
}

impl Sink {
    async fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                shared.lock().unwrap().connections += 1;
                tokio::spawn(converse(stream, Arc::clone(&shared), mode));
            }
        });
        Self { address, seen }
    }

    fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: self.address.ip().to_string(),
            port: self.address.port(),
            tls: SmtpTls::None,
            user: String::new(),
            password: String::new(),
        }
    }

    fn commands(&self) -> Vec<String> {
        self.seen.lock().unwrap().commands.clone()
    }

    fn mails(&self) -> Vec<Vec<String>> {
        self.seen.lock().unwrap().mails.clone()
    }

    fn connections(&self) -> usize {
        self.seen.lock().unwrap().connections
    }
}

async fn converse(stream: TcpStream, seen: Arc<Mutex<Seen>>, mode: Mode) {
    let pause = || async move {
        if mode == Mode::Slow {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    pause().await;
    if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        seen.lock().unwrap().commands.push(line.clone());
        let verb = line
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" => "250-sink\r\n250 AUTH PLAIN\r\n".to_owned(),
            "AUTH" if mode == Mode::RejectingLogin => {
                let encoded = line.rsplit(' ').next().unwrap_or_default();
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .unwrap_or_default();
                let login = String::from_utf8_lossy(&decoded).replace('\0', ":");
                format!("535 no login {login}\r\n")
            }
            "AUTH" => "235 welcome\r\n".to_owned(),
            "MAIL" | "RCPT" | "RSET" | "NOOP" => "250 ok\r\n".to_owned(),
            "DATA" => {
                if write.write_all(b"354 go on\r\n").await.is_err() {
                    return;
                }
                let mut mail = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    mail.push(line.strip_prefix('.').map_or(line.clone(), str::to_owned));
                }
                seen.lock().unwrap().mails.push(mail);
                "250 queued\r\n".to_owned()
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => "502 unknown\r\n".to_owned(),
        };
        pause().await;
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn passcode(to: &str) -> Mail {
    let (subject, body) = passcode_mail(MailLanguage::English, "Example", "123456", 300);
    Mail {
        from_name: "Example".to_owned(),
        from_address: "passcode@example.com".to_owned(),
        to: to.to_owned(),
        subject,
        body,
    }
}

/// The headers of a mail as `name: value` lines, and its body.
fn split(mail: &[String]) -> (Vec<String>, String) {
    let blank = mail.iter().position(String::is_empty).unwrap();
    (mail[..blank].to_vec(), mail[blank + 1..].join("\n"))
}

#[tokio::test]
async fn a_mail_arrives_with_its_sender_recipient_subject_and_body() {
    let sink = Sink::start(Mode::Welcoming).await;
    let mailer = Mailer::new(Some(sink.settings()));
    mailer
        .send(None, &passcode("user@example.org"))
        .await
        .unwrap();

    let commands = sink.commands();
    assert!(
        commands.contains(&"MAIL FROM:<passcode@example.com>".to_owned()),
        "{commands:?}"
    );
    assert!(
        commands.contains(&"RCPT TO:<user@example.org>".to_owned()),
        "{commands:?}"
    );
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let (headers, body) = split(&mails[0]);
    for header in [
        "From: Example <passcode@example.com>",
        "To: user@example.org",
        "Subject: 123456 is your passcode for Example",
        "Content-Type: text/plain; charset=utf-8",
    ] {
        assert!(
            headers.contains(&header.to_owned()),
            "{header} in {headers:?}"
        );
    }
    assert_eq!(
        body.trim_end(),
        "Enter the following passcode to verify your identity:\n\n123456\n\n\
         The passcode is valid for 5 minutes."
    );
}

#[tokio::test]
async fn a_chinese_mail_arrives_intact() {
    let sink = Sink::start(Mode::Welcoming).await;
    let (subject, body) = passcode_mail(MailLanguage::Chinese, "示例", "123456", 300);
    let mail = Mail {
        subject: subject.clone(),
        body: body.clone(),
        from_name: "示例".to_owned(),
        ..passcode("user@example.org")
    };
    Mailer::new(Some(sink.settings()))
        .send(None, &mail)
        .await
        .unwrap();

    let (headers, encoded) = split(&sink.mails()[0]);
    assert!(
        headers.contains(&"Content-Transfer-Encoding: base64".to_owned()),
        "{headers:?}"
    );
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.replace('\n', ""))
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap().replace("\r\n", "\n"),
        body
    );
    let subject_line = headers.iter().find(|h| h.starts_with("Subject: ")).unwrap();
    assert!(
        subject_line.starts_with("Subject: =?utf-8?b?"),
        "{subject_line}"
    );
}

#[tokio::test]
async fn login_happens_only_with_a_user_name() {
    let sink = Sink::start(Mode::Welcoming).await;
    let mailer = Mailer::new(None);
    mailer
        .send(Some(&sink.settings()), &passcode("user@example.org"))
        .await
        .unwrap();
    assert!(!sink.commands().iter().any(|c| c.starts_with("AUTH")));

    let with_login = SmtpSettings {
        user: "mailer".to_owned(),
        password: "s3cret".to_owned(),
        ..sink.settings()
    };
    mailer
        .send(Some(&with_login), &passcode("user@example.org"))
        .await
        .unwrap();
    let auth = sink
        .commands()
        .into_iter()
        .find(|c| c.starts_with("AUTH PLAIN "))
        .unwrap();
    let sent = base64::engine::general_purpose::STANDARD
        .decode(auth.trim_start_matches("AUTH PLAIN "))
        .unwrap();
    assert_eq!(sent, b"\0mailer\0s3cret");
}

#[tokio::test]
async fn the_tenants_server_comes_before_the_server_wide_one() {
    let server_wide = Sink::start(Mode::Welcoming).await;
    let tenants = Sink::start(Mode::Welcoming).await;
    let mailer = Mailer::new(Some(server_wide.settings()));

    mailer
        .send(Some(&tenants.settings()), &passcode("a@example.org"))
        .await
        .unwrap();
    assert_eq!((server_wide.mails().len(), tenants.mails().len()), (0, 1));

    mailer.send(None, &passcode("b@example.org")).await.unwrap();
    assert_eq!((server_wide.mails().len(), tenants.mails().len()), (1, 1));
}

#[tokio::test]
async fn without_any_server_nothing_is_sent() {
    let error = Mailer::new(None)
        .send(None, &passcode("user@example.org"))
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::NotConfigured), "{error:?}");
}

#[tokio::test]
async fn a_bad_recipient_is_refused_before_any_connection() {
    let sink = Sink::start(Mode::Welcoming).await;
    let error = Mailer::new(Some(sink.settings()))
        .send(None, &passcode("not an address"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, MailError::Address { field: "to", .. }),
        "{error:?}"
    );
    assert_eq!(sink.connections(), 0);
}

#[tokio::test]
async fn mails_to_one_server_share_a_connection() {
    let sink = Sink::start(Mode::Welcoming).await;
    let mailer = Mailer::new(Some(sink.settings()));
    mailer.send(None, &passcode("a@example.org")).await.unwrap();
    // lettre puts a connection back into its pool from a task of its own.
    tokio::time::sleep(Duration::from_millis(200)).await;
    mailer
        .clone()
        .send(None, &passcode("b@example.org"))
        .await
        .unwrap();
    assert_eq!(sink.mails().len(), 2);
    assert_eq!(sink.connections(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_an_error() {
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let settings = SmtpSettings {
        host: address.ip().to_string(),
        port: address.port(),
        tls: SmtpTls::None,
        user: String::new(),
        password: String::new(),
    };
    let error = Mailer::new(Some(settings))
        .send(None, &passcode("user@example.org"))
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Send { .. }), "{error:?}");
}

#[tokio::test]
async fn a_silent_server_fails_within_the_timeout() {
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let settings = SmtpSettings {
        host: address.ip().to_string(),
        port: address.port(),
        tls: SmtpTls::None,
        user: String::new(),
        password: String::new(),
    };
    let mailer = Mailer::new(Some(settings)).with_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let error = mailer
        .send(None, &passcode("user@example.org"))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(error, MailError::Timeout { .. } | MailError::Send { .. }),
        "{error:?}"
    );
    assert_eq!(SEND_TIMEOUT, Duration::from_secs(10));
}

#[tokio::test]
async fn a_slow_server_is_cut_off_at_the_timeout_and_its_connections_dropped() {
    let sink = Sink::start(Mode::Slow).await;
    let mailer = Mailer::new(Some(sink.settings())).with_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let error = mailer
        .send(None, &passcode("user@example.org"))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(error, MailError::Timeout { .. }), "{error:?}");
    assert_eq!(mailer.transports.len(), 0);
}

#[tokio::test]
async fn starttls_and_tls_never_fall_back_to_plain_text() {
    let sink = Sink::start(Mode::Welcoming).await;
    let mailer = Mailer::new(None);
    for tls in [SmtpTls::Starttls, SmtpTls::Tls] {
        let settings = SmtpSettings {
            tls,
            ..sink.settings()
        };
        let error = mailer
            .send(Some(&settings), &passcode("user@example.org"))
            .await
            .unwrap_err();
        assert!(matches!(error, MailError::Send { .. }), "{tls:?}: {error}");
    }
    assert!(sink.mails().is_empty());
    assert!(!sink.commands().iter().any(|c| c.starts_with("MAIL")));
}

#[tokio::test]
async fn the_password_stays_out_of_errors_and_debug_output() {
    let sink = Sink::start(Mode::RejectingLogin).await;
    let settings = SmtpSettings {
        user: "mailer".to_owned(),
        password: "hunter2-secret".to_owned(),
        ..sink.settings()
    };
    let mailer = Mailer::new(Some(settings));
    let error = mailer
        .send(None, &passcode("user@example.org"))
        .await
        .unwrap_err();
    assert!(matches!(error, MailError::Send { .. }), "{error:?}");
    for shown in [
        error.to_string(),
        format!("{error:?}"),
        format!("{mailer:?}"),
    ] {
        assert!(!shown.contains("hunter2"), "{shown}");
    }
    assert!(error.to_string().contains("mailer:<redacted>"), "{error}");
}

#[test]
fn a_mail_in_debug_output_hides_its_passcode() {
    let shown = format!("{:?}", passcode("user@example.org"));
    assert!(!shown.contains("123456"), "{shown}");
    assert!(shown.contains("user@example.org"), "{shown}");
}
