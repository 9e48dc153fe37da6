//! Storyline's server: the storyteller's pages and Twilio's webhooks.

/// Builds the Rocket instance with every route mounted.
pub fn build() -> rocket::Rocket<rocket::Build> {
    rocket::build().mount("/", rocket::routes![index])
}

#[rocket::get("/")]
fn index() -> &'static str {
    "Storyline"
}
