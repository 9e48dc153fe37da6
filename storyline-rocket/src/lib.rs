#![doc = include_str!("../README.md")]

mod abuse;
mod app;
mod config;
mod http;
mod jobs;
mod links;
mod pages;
mod store;
mod story;

use rocket::fairing::{self, Fairing, Info, Kind};
use rocket::{Build, Orbit, Phase, Request, Response, Rocket};
use storyline_sandbox::Sandbox;

use crate::app::App;
pub use crate::config::{FIGMENT_KEY, Settings};
use crate::links::Links;
pub use crate::pages::words::{Words, words};
pub use crate::store::HostPool;

/// Sends Storyline's structured logs to standard error (`RUST_LOG` filters them; default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Not `try_init`: that would also route Rocket's `log` records here, and Rocket logs its own (`ROCKET_LOG_LEVEL`).
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The stand-alone server: Rocket and Storyline read from [`Settings::figment`], Storyline mounted at `/`.
pub fn server() -> Rocket<Build> {
    rocket::custom(Settings::figment()).attach(Storyline::mount_at("/"))
}

/// Storyline as a fairing: attach it to a Rocket to mount the story flow under a path.
///
/// At ignition it reads [`Settings`] from the figment's `storyline` key, opens its database (or uses the pool given
/// with [`Storyline::with_pool`]), connects to Twilio or starts the sandbox, mounts its routes and catchers under the
/// path, and starts its background work once the server listens. Its catchers and security headers apply under its
/// path only; the host's own stay the host's. One Storyline per Rocket.
#[derive(Debug, Clone)]
pub struct Storyline {
    links: Links,
    pool: Option<HostPool>,
}

impl Storyline {
    /// Storyline under `path` (`"/"` for a whole site, `"/stories"` inside a host). Every link, redirect, asset URL
    /// and Twilio webhook URL is built from it and the public URL (`storyline.public_url`).
    pub fn mount_at(path: &str) -> Storyline {
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Storyline {
            links: Links::new(&path),
            pool: None,
        }
    }

    /// Uses the host's pool (a `sqlx::SqlitePool` or `sqlx::PgPool`) instead of `storyline.database_url`.
    /// Storyline's migrations are applied to it at start-up and recorded in their own table,
    /// `storyline_migrations`; every table of Storyline's is named `storyline_…`. (On SQLite its first migrations
    /// create `recordings` and `jobs`, then rename them: the host's database must not hold tables of those two names.)
    pub fn with_pool(mut self, pool: impl Into<HostPool>) -> Storyline {
        self.pool = Some(pool.into());
        self
    }

    /// The sandbox a Storyline in this Rocket started because no Twilio credentials were set (its base URL, account
    /// and phone page), if it did.
    pub fn sandbox<P: Phase>(rocket: &Rocket<P>) -> Option<Sandbox> {
        rocket.state::<App>().and_then(|app| app.sandbox.clone())
    }
}

#[rocket::async_trait]
impl Fairing for Storyline {
    fn info(&self) -> Info {
        Info {
            name: "Storyline",
            kind: Kind::Ignite | Kind::Liftoff | Kind::Response | Kind::Singleton,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> fairing::Result {
        let settings = match Settings::from_figment(rocket.figment()) {
            Ok(s) => s,
            Err(e) => {
                rocket::error!("storyline could not start: invalid settings under `{FIGMENT_KEY}`: {e}");
                return Err(rocket);
            }
        };
        // Rocket's own request log prints every path, and Storyline's paths carry recording ids: the key to a story.
        let rocket_log = rocket
            .figment()
            .extract::<rocket::Config>()
            .map_or(rocket::config::LogLevel::Normal, |c| c.log_level);
        if matches!(
            rocket_log,
            rocket::config::LogLevel::Normal | rocket::config::LogLevel::Debug
        ) {
            rocket::warn!(
                "storyline: Rocket's request log (log_level = {rocket_log}) prints request paths, which name recordings; \
                 set log_level = \"critical\" (ROCKET_LOG_LEVEL=critical) to keep recording ids out of the logs"
            );
        }
        match App::start(settings, self.links.clone(), self.pool.clone()).await {
            Ok(app) => {
                let mount = self.links.home();
                Ok(rocket
                    .mount(mount.as_str(), http::routes(&self.links))
                    .register(mount.as_str(), http::catchers())
                    .manage(app))
            }
            Err(e) => {
                rocket::error!("storyline could not start: {e}");
                Err(rocket)
            }
        }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        if let Some(app) = rocket.state::<App>() {
            app.lift_off(rocket);
            jobs::spawn(app.clone());
            // Pages on this instance hear of changes other instances make.
            let follower = app.clone();
            let shutdown = rocket.shutdown();
            tokio::spawn(async move {
                let told = follower.clone();
                let follow = follower.store.follow_changes(move |id| {
                    // What this instance remembers of it is out of date now.
                    told.recent.forget(&id);
                    let _ = told.changes.send(app::StatusChange { id });
                });
                tokio::select! {
                    () = follow => {}
                    () = shutdown => {}
                }
            });
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        if let Some(app) = req.rocket().state::<App>() {
            http::security_headers(app, req, res);
        }
    }
}
