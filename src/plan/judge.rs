//! The second read of the manifest: each row decided against what the state file records and the
//! flows listed at its directory, handed out in file order, and the counts summed up.

use std::collections::BTreeMap;

use serde::Serialize;

use super::live::Unlisted;
use super::verdict::{decide, Decision, Flow, Recorded, Verdict};
use super::{PlanError, Stamp, Survey};
use crate::exit::ExitCode;
use crate::manifest::{self, identity, Row};
use crate::store::RowState;

/// One row's verdict, in the shape of `plan --json` (SPEC "plan"), keys in this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowVerdict {
    pub line: u64,
    pub file_system_id: String,
    pub target_path: String,
    pub verdict: &'static str,
    pub data_flow_id: String,
    pub detail: String,
    /// The row's latest data task as recorded (`metaload finished`, `restore running`); left
    /// out when the row has none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub task: String,
}

/// Rows per verdict, and the flows no row names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSystemCounts {
    /// Rows per verdict, in [`Verdict::ALL`] order.
    pub verdicts: [u64; 7],
    /// Flows on the file system at directories no row names.
    pub unmanaged: u64,
}

impl FileSystemCounts {
    /// Rows with `verdict`.
    pub fn get(&self, verdict: Verdict) -> u64 {
        self.verdicts[index(verdict)]
    }

    fn add(&mut self, other: &FileSystemCounts) {
        for (a, b) in self.verdicts.iter_mut().zip(other.verdicts) {
            *a += b;
        }
        self.unmanaged += other.unmanaged;
    }
}

fn index(verdict: Verdict) -> usize {
    Verdict::ALL
        .iter()
        .position(|v| *v == verdict)
        .unwrap_or_default()
}

/// The whole plan in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub rows: u64,
    pub flows_listed: u64,
    pub total: FileSystemCounts,
    pub per_file_system: BTreeMap<String, FileSystemCounts>,
}

impl Summary {
    /// 1 when a row has a conflict, a missing or an unavailable flow; 0 when the plan has only
    /// work to do, or none.
    pub fn exit_code(&self) -> ExitCode {
        let problem = Verdict::ALL
            .iter()
            .any(|v| v.is_problem() && self.total.get(*v) > 0);
        if problem {
            ExitCode::FailedRows
        } else {
            ExitCode::Ok
        }
    }

    /// The summary object of `plan --json`: `{"summary":{"create":N,...,"unmanaged":N}}`.
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct Counts {
            create: u64,
            adopt: u64,
            update: u64,
            conflict: u64,
            ok: u64,
            missing: u64,
            unavailable: u64,
            unmanaged: u64,
        }
        #[derive(Serialize)]
        struct Wrapper {
            summary: Counts,
        }
        let t = &self.total;
        let w = Wrapper {
            summary: Counts {
                create: t.get(Verdict::Create),
                adopt: t.get(Verdict::Adopt),
                update: t.get(Verdict::Update),
                conflict: t.get(Verdict::Conflict),
                ok: t.get(Verdict::Ok),
                missing: t.get(Verdict::Missing),
                unavailable: t.get(Verdict::Unavailable),
                unmanaged: t.unmanaged,
            },
        };
        serde_json::to_string(&w).unwrap_or_default()
    }
}

/// The verdict of a row whose file system the service does not know: `missing`, with the code
/// and what to check. A recorded flow is named: it cannot be there.
fn no_file_system(u: &Unlisted, recorded: Option<&Recorded>) -> Decision {
    Decision {
        verdict: Verdict::Missing,
        data_flow_id: recorded
            .filter(|r| matches!(r.state, RowState::Created | RowState::Unknown))
            .and_then(|r| r.data_flow_id.as_deref())
            .unwrap_or_default()
            .to_owned(),
        detail: format!(
            "{}: the service knows no file system {} in {}; check the row's FileSystemId and Region",
            u.code, u.file_system_id, u.region
        ),
    }
}

impl Survey {
    /// Reads the manifest again and decides every row, handing each to `emit` in file order;
    /// then counts the flows no row names. A manifest that changed since it was validated stops
    /// it ([`PlanError::ManifestChanged`]).
    pub fn judge(
        self,
        mut emit: impl FnMut(&RowVerdict) -> std::io::Result<()>,
    ) -> Result<Summary, PlanError> {
        let changed = || PlanError::ManifestChanged(self.manifest.clone());
        let reader = manifest::read(&self.manifest, &self.options)?;
        // Flows at directories rows name, per file system: a directory is named by one row.
        let mut named = vec![0u64; self.live.file_systems().len()];
        let mut summary = Summary {
            flows_listed: self.live.len(),
            ..Summary::default()
        };
        for fs in self.live.file_systems() {
            summary
                .per_file_system
                .insert(fs.clone(), FileSystemCounts::default());
        }
        for row in reader {
            let row = row.map_err(|_| changed())?;
            let id = identity(&row.request.file_system_id, &row.request.target_path);
            let recorded = self.spilled.recorded(&id)?;
            let recorded = recorded.as_ref();
            let found = self.spilled.flows_at(&id)?;
            for (fs, _) in &found {
                if let Some(n) = named.get_mut(*fs as usize) {
                    *n += 1;
                }
            }
            let at: Vec<&Flow> = found.iter().map(|(_, f)| f).collect();
            let unlisted = self.live.unlisted(&row.request.file_system_id, &row.region);
            let Decision {
                verdict,
                data_flow_id,
                detail,
            } = match unlisted {
                Some(u) => no_file_system(u, recorded),
                None => decide(&row, recorded, &at),
            };
            summary.rows += 1;
            let fs = &row.request.file_system_id;
            match summary.per_file_system.get_mut(fs) {
                Some(c) => c.verdicts[index(verdict)] += 1,
                None => {
                    let mut c = FileSystemCounts::default();
                    c.verdicts[index(verdict)] += 1;
                    summary.per_file_system.insert(fs.clone(), c);
                }
            }
            let task = recorded
                .and_then(|r| r.task.as_deref())
                .unwrap_or_default()
                .to_owned();
            let Row { line, request, .. } = row;
            emit(&RowVerdict {
                line,
                file_system_id: request.file_system_id,
                target_path: request.target_path,
                verdict: verdict.as_str(),
                data_flow_id,
                detail,
                task,
            })?;
        }
        if summary.rows != self.rows || Stamp::of(&self.manifest) != self.stamp {
            return Err(changed());
        }
        for (fs, listed) in self.spilled.flows_per_file_system()? {
            let named = named.get(fs as usize).copied().unwrap_or_default();
            if let Some(c) = summary.per_file_system.get_mut(self.live.file_system(fs)) {
                c.unmanaged += listed.saturating_sub(named);
            }
        }
        for c in summary.per_file_system.values() {
            summary.total.add(c);
        }
        Ok(summary)
    }
}
