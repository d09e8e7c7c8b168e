pub mod common;
mod engine_run;
mod chaos;
