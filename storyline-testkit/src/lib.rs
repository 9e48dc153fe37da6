//! What Storyline's tests and benches share, so each harness exists once:
//!
//! - [`ports`]: free ports on loopback; [`settings`]: the isolated settings every server under test starts from.
//! - [`server`]: a Storyline server in this process over real HTTP ([`server::Server`], or any Rocket through
//!   [`server::launch`]); [`chaos`]: the real server binary as a child process that can be SIGKILLed.
//! - [`http`]: a browser-like client with the one status waiter; [`audio`]: checks of served stories.
//! - [`twilio`]: signatures and the sandbox's records; [`fake_twilio`]: a stand-in REST API that records calls;
//!   [`db`]: what the server's database holds, read beside it.
//! - [`browser`]: headless Chromium through chromedriver; [`events`]: a host service that receives events.
//! - [`wait`]: the one waiter the others poll through.

pub mod audio;
pub mod backends;
pub mod balancer;
pub mod browser;
pub mod chaos;
pub mod db;
pub mod events;
pub mod fake_twilio;
pub mod http;
pub mod ports;
pub mod server;
pub mod settings;
pub mod twilio;
pub mod wait;

pub use backends::Backend;
pub use http::Http;
pub use server::{Config, Server, faulty_sandbox, within};

/// The words Storyline shows for a status, named by its wire spelling (`"no_answer"`).
pub fn words(status: &str, number: &str) -> storyline_rocket::Words {
    storyline_rocket::words(status.parse().expect("a status of the contract"), number)
}

/// Whether a status, by its wire spelling, is an ending.
pub fn is_final(status: &str) -> bool {
    status
        .parse::<storyline_core::recording::Status>()
        .is_ok_and(|s| s.is_final())
}
