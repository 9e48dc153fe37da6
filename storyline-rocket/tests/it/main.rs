//! Storyline's behaviour tests: one binary (each links Rocket and sqlx once), one module per concern. The harness is
//! `storyline-testkit`.

mod abuse_limits;
mod abuse_origin;
mod abuse_pacing;
mod api;
mod browser_pages;
mod browser_phone;
mod chaos;
mod cluster;
mod deletion;
mod embed;
mod events;
mod hostile_form;
mod hostile_secrets;
mod hostile_webhooks;
mod live_streams;
mod privacy;
mod restart;
mod startup;
mod story_flow;
mod unconfirmed_calls;
mod webhook_security;
