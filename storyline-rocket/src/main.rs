//! Launches the Storyline server.
#[rocket::launch]
fn rocket() -> _ {
    storyline_rocket::build()
}
