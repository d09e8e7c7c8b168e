pub mod common;
mod engine_run;
mod kill_restart;
