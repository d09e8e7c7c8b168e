//! The emulator driven over real HTTP on 127.0.0.1 with signed requests.

mod actions;
mod auth;
mod client;
mod faults;
mod foreground;
mod issuer;
mod lifecycle;
mod limits;
mod mutation_faults;
mod mutations;
mod preexisting;
mod task_actions;
mod task_faults;
mod task_flows;
mod task_life;
mod task_stops;
mod wire;
