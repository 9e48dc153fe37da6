//! Launches the stand-alone Storyline server: everything else is in the library.

#[rocket::launch]
fn rocket() -> _ {
    storyline_rocket::init_logging();
    storyline_rocket::server()
}
