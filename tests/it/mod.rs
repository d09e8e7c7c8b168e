mod chaos;
pub mod common;
mod engine_run;
