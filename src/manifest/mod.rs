//! The manifest: reading CSV and JSON Lines files into validated [`Row`]s, with every problem
//! reported as `FILE:LINE: field: message` and no secret ever in a message.
//!
//! [`validate`] is the full offline pass (`bulkflow validate`, and the first step of `run`);
//! [`read`] streams the rows for the run. Both read the file as it is on disk, with bounded memory
//! per record, so a hostile or damaged file gives problems, never a panic or an unbounded buffer.

mod csv_parse;
mod csv_source;
mod dupes;
mod fields;
mod header;
mod json_object;
mod jsonl_source;
mod limits;
mod lines;
mod names;
pub mod nearby;
mod open;
mod options;
mod paths;
mod problem;
mod read_ahead;
mod reader;
mod resolve;
mod row;
mod rules;
mod source;
mod split;
mod validate;

#[cfg(test)]
mod tests;

pub use options::{EnvLookup, Format, ManifestOptions};
pub use problem::{ManifestError, Problem, MAX_PROBLEMS};
pub use read_ahead::{Batch, ReadAhead};
pub use reader::{read, Reader};
pub(crate) use row::{identity, Identity};
pub use row::{source_hash, Row, SourceHash};
pub use validate::{validate, Plan};
