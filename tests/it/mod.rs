pub mod bin_helpers;
mod binary;
mod chaos;
mod client_outcomes;
pub mod common;
mod engine_run;
mod flag_props;
mod flags;
mod hostile_answers;
mod hostile_endpoints;
mod hostile_manifests;
mod lifecycle;
mod lifecycle_api;
mod manifest_props;
mod operator;
pub mod rawserver;
mod shown;
#[cfg(unix)]
mod trust;
