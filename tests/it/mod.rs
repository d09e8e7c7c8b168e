pub mod bin_helpers;
mod binary;
pub mod common;
mod engine_run;
