//! The two ways Storyline keeps its stories, for the tests that must hold on both: SQLite with files in the data
//! directory (the embedded default), and PostgreSQL with an S3-compatible bucket (what many instances share).
//!
//! The shared backend uses the PostgreSQL at `STORYLINE_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`), a fresh schema per server, and an `s3s-fs` server (which checks
//! request signatures) that the harness starts on loopback once per test process, a fresh prefix per server. Where
//! either is missing the shared runs are skipped with a message saying how to get it; with `STORYLINE_REQUIRE_SHARED` set (as CI
//! sets it) they fail instead.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use rocket::figment::value::{Dict, Value};

use crate::ports::free_port;

/// Where a server keeps its stories.
#[derive(Debug, Clone)]
pub enum Backend {
    /// SQLite and files in the data directory.
    Embedded,
    /// PostgreSQL and an S3-compatible bucket.
    Shared {
        /// `STORYLINE_DATABASE_URL`: a fresh schema.
        database_url: String,
        /// `STORYLINE_AUDIO_STORE`: a fresh prefix in the test bucket.
        audio_store: String,
    },
}

/// The S3-compatible server of this test process.
struct S3Server {
    endpoint: String,
    /// Keeps the server alive: it stops when this process ends and the pipe closes.
    _stdin: std::process::ChildStdin,
    _shell: std::process::Child,
    _root: tempfile::TempDir,
}

const ACCESS_KEY: &str = "storyline-test";
const SECRET_KEY: &str = "storyline-test-secret";
const BUCKET: &str = "storyline-test";
const REGION: &str = "us-east-1";

/// The PostgreSQL the tests use.
pub fn postgres_url() -> String {
    std::env::var("STORYLINE_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A `STORYLINE_DATABASE_URL` for a fresh, empty schema in the tests' PostgreSQL, or why there is none.
pub async fn fresh_postgres_schema() -> Result<String, String> {
    let base = postgres_url();
    let pool = sqlx::PgPool::connect(&base)
        .await
        .map_err(|e| format!("no PostgreSQL at {base} (STORYLINE_TEST_POSTGRES): {e}"))?;
    let schema = format!("it_{}", unique());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .map_err(|e| format!("cannot create a schema: {e}"))?;
    pool.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    Ok(format!("{base}{sep}options=-c%20search_path%3D{schema}"))
}

fn s3s_fs() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/s3s-fs"));
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("s3s-fs"))
        .chain(home)
        .find(|p| p.is_file())
}

fn s3_server() -> Option<&'static S3Server> {
    static SERVER: OnceLock<Option<S3Server>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let binary = s3s_fs()?;
            let root = tempfile::tempdir().expect("a directory for the S3 server");
            std::fs::create_dir(root.path().join(BUCKET)).expect("the test bucket");
            let port = free_port();
            // The server dies with this process: the shell kills it once its input (our pipe) closes.
            let mut child = Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "\"$0\" --host 127.0.0.1 --port {port} --access-key {ACCESS_KEY} --secret-key {SECRET_KEY} \"$1\" \
                     >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid"
                ))
                .arg(&binary)
                .arg(root.path())
                .stdin(Stdio::piped())
                .spawn()
                .expect("s3s-fs starts");
            let mut stdin = child.stdin.take().expect("a pipe");
            let _ = stdin.flush();
            let endpoint = format!("http://127.0.0.1:{port}");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(std::time::Instant::now() < deadline, "s3s-fs did not listen on {port}");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Some(S3Server {
                endpoint,
                _stdin: stdin,
                _shell: child,
                _root: root,
            })
        })
        .as_ref()
}

fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// How a server reaches the test's S3 server: (object_store option, environment variable, value).
fn s3_options() -> [(&'static str, &'static str, String); 5] {
    let endpoint = s3_server().map(|s| s.endpoint.clone()).unwrap_or_default();
    [
        ("aws_endpoint", "AWS_ENDPOINT_URL", endpoint),
        ("aws_allow_http", "AWS_ALLOW_HTTP", "true".into()),
        ("aws_access_key_id", "AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
        ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ("aws_region", "AWS_REGION", REGION.into()),
    ]
}

impl Backend {
    /// A fresh shared backend, or why there is none here.
    pub async fn shared() -> Result<Backend, String> {
        if s3_server().is_none() {
            return Err("s3s-fs is not installed (cargo install s3s-fs@0.14.1 --features binary --locked)".into());
        }
        Ok(Backend::Shared {
            database_url: fresh_postgres_schema().await?,
            audio_store: format!("s3://{BUCKET}/{}", unique()),
        })
    }

    /// Both backends: the shared one is skipped, with a message, where PostgreSQL or s3s-fs is missing, unless
    /// `STORYLINE_REQUIRE_SHARED` is set, as CI sets it (then its absence fails the test).
    pub async fn both() -> Vec<Backend> {
        match Backend::shared().await {
            Ok(shared) => vec![Backend::Embedded, shared],
            Err(why) if std::env::var_os("STORYLINE_REQUIRE_SHARED").is_some() => {
                panic!("CI runs every test on PostgreSQL and S3: {why}")
            }
            Err(why) => {
                eprintln!("SKIPPED the PostgreSQL + S3 run: {why}");
                vec![Backend::Embedded]
            }
        }
    }

    /// A name for assertion messages.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Embedded => "SQLite + files",
            Backend::Shared { .. } => "PostgreSQL + S3",
        }
    }

    /// The settings that put a server on this backend (figment keys).
    pub fn settings(&self) -> Vec<(String, Value)> {
        let Backend::Shared {
            database_url,
            audio_store,
        } = self
        else {
            return Vec::new();
        };
        let mut options = Dict::new();
        for (key, _, value) in s3_options() {
            options.insert(key.into(), Value::from(value));
        }
        vec![
            ("storyline.database_url".into(), Value::from(database_url.as_str())),
            ("storyline.audio_store".into(), Value::from(audio_store.as_str())),
            ("storyline.audio_store_options".into(), Value::from(options)),
        ]
    }

    /// The environment that puts a server process on this backend, as an operator sets it.
    pub fn env(&self) -> Vec<(String, String)> {
        let Backend::Shared {
            database_url,
            audio_store,
        } = self
        else {
            return Vec::new();
        };
        let mut env = vec![
            ("STORYLINE_DATABASE_URL".to_owned(), database_url.clone()),
            ("STORYLINE_AUDIO_STORE".to_owned(), audio_store.clone()),
        ];
        env.extend(s3_options().into_iter().map(|(_, var, value)| (var.to_owned(), value)));
        env
    }
}
