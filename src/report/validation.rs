//! `validate --json` and `run --dry-run --json`: what the offline check found, as one JSON object
//! on stdout. The keys are stable (README, "Validation for scripts").

use serde::Serialize;

use super::json_log;

use crate::manifest::{ManifestError, Plan, Problem};

/// One problem of the manifest.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProblemJson {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub message: String,
}

/// Rows of one region and file system.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupJson {
    pub region: String,
    pub file_system_id: String,
    pub rows: u64,
}

/// The object, keys in this order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ValidationJson {
    /// The manifest as named on the command line (`-` for stdin).
    pub manifest: String,
    /// Rows (data flows) the manifest lists; `null` when it is not valid.
    pub rows: Option<u64>,
    pub valid: bool,
    /// The earliest problems by line (at most 1000).
    pub problems: Vec<ProblemJson>,
    /// How many problems in all.
    pub problems_total: u64,
    /// Rows per region and file system, when valid.
    pub per_group: Vec<GroupJson>,
    /// Why the manifest could not be read at all (unreadable, unknown type); else `null`.
    pub error: Option<String>,
}

fn problem(p: &Problem) -> ProblemJson {
    ProblemJson {
        file: p.file.clone(),
        line: p.line,
        field: p.field.clone(),
        message: p.message.clone(),
    }
}

impl ValidationJson {
    /// What validating `manifest` gave.
    pub fn of(manifest: &str, result: &Result<Plan, ManifestError>) -> ValidationJson {
        let mut out = ValidationJson {
            manifest: manifest.to_owned(),
            rows: None,
            valid: false,
            problems: Vec::new(),
            problems_total: 0,
            per_group: Vec::new(),
            error: None,
        };
        match result {
            Ok(plan) => {
                out.rows = Some(plan.rows);
                out.valid = true;
                out.per_group = plan
                    .per_group
                    .iter()
                    .map(|((region, fs), n)| GroupJson {
                        region: region.clone(),
                        file_system_id: fs.clone(),
                        rows: *n,
                    })
                    .collect();
            }
            Err(ManifestError::Invalid { problems, total }) => {
                out.problems = problems.iter().map(problem).collect();
                out.problems_total = *total;
            }
            Err(e) => out.error = Some(e.to_string()),
        }
        out
    }

    /// The object on one line.
    pub fn to_line(&self) -> String {
        json_log::separators_escaped(
            serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned()),
        )
    }
}
