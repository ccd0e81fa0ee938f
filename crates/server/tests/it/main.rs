//! The server's integration tests: the front door as a deployment runs it, on listeners bound
//! to `127.0.0.1:0`.

mod front_door;
