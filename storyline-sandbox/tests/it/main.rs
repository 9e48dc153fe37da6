//! Behaviour tests: a sandbox on its own port, an application serving TwiML to it over HTTP, and Twilio's REST API
//! spoken as a client speaks it.

mod app;
mod cancel;
mod create_faults;
mod list_calls;
mod recording;
mod retention;
mod time_limit;
mod twiml_timeout;
