//! What `bulkflow delete` shows before it asks: the manifest's rows per region and file system,
//! how many of them the state file records with a flow to delete, and how many drifted (the
//! manifest changed their source after their flow was created: the recorded flow is not theirs
//! to delete).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::manifest;
use crate::report::diag::{self, Diag, Level, LogFormat};
use crate::report::logging;
use crate::settings::Settings;
use crate::store::{self, RowState, StoreError};

use super::failure::Failure;
use super::inputs::manifest_options;

/// What a delete would touch, as a table (text) or one `INFO` object with `per_group` (JSON).
pub(super) struct Preview {
    head: String,
    table: String,
    note: Option<String>,
    groups: Vec<Value>,
    rows: u64,
}

impl Preview {
    /// The preview as text: the head (without the program's name, which marks diagnostics),
    /// the table and the note.
    fn text(&self) -> String {
        let note = self
            .note
            .as_deref()
            .map(|n| format!("{n}\n"))
            .unwrap_or_default();
        format!(
            "{}\n{}{note}",
            self.head.trim_start_matches("bulkflow: "),
            self.table
        )
    }

    /// The preview as `--dry-run` writes it on stdout: the text, or with `--log-format json`
    /// the object the preview is on stderr before a delete.
    pub(super) fn output(&self) -> String {
        match diag::format() {
            LogFormat::Text => self.text(),
            LogFormat::Json => String::from_utf8_lossy(
                &self.diag().render(LogFormat::Json, crate::store::now_ms()),
            )
            .into_owned(),
        }
    }

    /// The preview as one `INFO` diagnostic with `rows`, `per_group` and `note`.
    fn diag(&self) -> Diag {
        let mut d = Diag::new(Level::Info, self.head.trim_start_matches("bulkflow: "))
            .field("rows", self.rows)
            .field("per_group", self.groups.clone());
        if let Some(note) = &self.note {
            d = d.field("note", note.as_str());
        }
        d
    }

    /// Prints the preview on stderr.
    pub(super) fn print(&self) {
        match diag::format() {
            LogFormat::Text => {
                let note = self
                    .note
                    .as_deref()
                    .map(|n| format!("{n}\n"))
                    .unwrap_or_default();
                logging::write_stderr(format!("{}\n{}{note}", self.head, self.table).as_bytes());
            }
            LogFormat::Json => diag::emit(&self.diag()),
        }
    }
}

/// A row of the state file that may have a flow to delete: `created`, or `unknown` (its call
/// may have created one); with the source its flow was made from.
type Recorded = HashMap<(String, String), Option<String>>;

/// The rows of the state file that have (or may have) a flow; none without a state file.
fn recorded(s: &Settings) -> Result<Recorded, StoreError> {
    let ro = match store::open_read_only(&s.state) {
        Ok(ro) => ro,
        Err(StoreError::Missing(_)) => return Ok(Recorded::new()),
        Err(e) => return Err(e),
    };
    let mut out = Recorded::new();
    ro.read(|r| {
        if matches!(r.state, RowState::Created | RowState::Unknown) {
            out.insert((r.file_system_id, r.target_key), r.source_key);
        }
    })?;
    Ok(out)
}

/// Per region and file system: the manifest's rows, those recorded with a flow whose source is
/// the row's, and those whose recorded source differs (drifted).
#[derive(Default)]
struct Counts {
    rows: u64,
    recorded: u64,
    drifted: u64,
}

/// What a delete would touch: the manifest's rows per region and file system, and how many of
/// them the state file records with a flow (and how many of those drifted).
pub(super) fn preview(s: &Settings, region: Option<String>) -> Result<Preview, Failure> {
    let opts = manifest_options(&s.input, region, s.allow_unknown_region);
    let plan = manifest::validate(&s.manifest, &opts)?;
    let recorded = recorded(s)?;
    let mut groups: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let reader = manifest::read(&s.manifest, &opts)?;
    for row in reader {
        let row = row.map_err(|e| {
            Failure::Usage(format!("{}: {e} (the manifest changed?)", s.input.shown()))
        })?;
        let key = (
            row.request.file_system_id.clone(),
            row.target_key().to_owned(),
        );
        let c = groups
            .entry((row.region.clone(), key.0.clone()))
            .or_default();
        c.rows += 1;
        match recorded.get(&key) {
            Some(Some(source)) if *source != row.source_key() => c.drifted += 1,
            Some(_) => c.recorded += 1,
            None => {}
        }
    }
    Ok(shown(s, plan.rows, &groups))
}

/// The preview's text and JSON.
fn shown(s: &Settings, rows: u64, groups: &BTreeMap<(String, String), Counts>) -> Preview {
    let head = format!(
        "bulkflow: delete the data flows of {rows} rows of {} (the recorded flow, or the flow at the \
         row's directory with the row's source; never another):",
        s.input.shown()
    );
    let mut table = format!(
        "  {:<20} {:<24} {:>8} {:>10} {:>8}\n",
        "region", "file system", "rows", "recorded", "drifted"
    );
    let mut json = Vec::new();
    let mut drifted = 0;
    for ((region, fs), c) in groups {
        let (n, r, d) = (c.rows, c.recorded, c.drifted);
        table.push_str(&format!("  {region:<20} {fs:<24} {n:>8} {r:>10} {d:>8}\n"));
        json.push(
            json!({"region": region, "file_system_id": fs, "rows": n, "recorded": r, "drifted": d}),
        );
        drifted += d;
    }
    let note = (drifted > 0).then(|| {
        format!(
            "  {drifted} rows drifted: the manifest changed their source after their flow was \
             created (DataFlowDrift); a flow whose source is not the row's is never deleted"
        )
    });
    Preview {
        head,
        table,
        note,
        groups: json,
        rows,
    }
}
