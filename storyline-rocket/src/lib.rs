//! Storyline's server: the storyteller's pages and Twilio's webhooks, wired to `storyline-core` and `storyline-twiml`.
//!
//! [`build`] makes the Rocket from a configuration; `main.rs` only launches it. Without Twilio credentials the server
//! starts the [`sandbox`] and talks to it exactly as it would to Twilio.

#![allow(missing_docs)] // An application crate, not published: its items are documented where they help a reader.

pub mod app;
pub mod audio;
pub mod config;
pub mod db;
pub mod flow;
pub mod guard;
pub mod pages;
pub mod routes;
pub use storyline_sandbox as sandbox;
pub mod waveform;
pub mod worker;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};

pub use app::App;
pub use config::Settings;

/// Sends Storyline's structured logs to standard error (`RUST_LOG` filters them; default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Not `try_init`: that would also route Rocket's `log` records here, and Rocket logs its own (`ROCKET_LOG_LEVEL`).
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Builds the server from Rocket's figment merged with Storyline's settings ([`Settings::figment`]).
pub fn build() -> Rocket<Build> {
    build_from(Settings::figment())
}

/// Builds the server from a given figment (tests set their own data directory, port and sandbox).
pub fn build_from(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .attach(AdHoc::try_on_ignite("storyline", |rocket| async move {
            match App::start(&rocket).await {
                Ok(app) => Ok(rocket.manage(app)),
                Err(e) => {
                    rocket::error!("storyline could not start: {e}");
                    Err(rocket)
                }
            }
        }))
        .attach(AdHoc::on_liftoff("storyline liftoff", |rocket| {
            Box::pin(async move {
                if let Some(app) = rocket.state::<App>() {
                    app.lift_off(rocket).await;
                }
            })
        }))
        .attach(routes::SecurityHeaders)
        .mount("/", routes::routes())
        .register("/", routes::catchers())
}
