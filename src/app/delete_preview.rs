//! What `bulkflow delete` shows before it asks: the manifest's rows per region and file system,
//! how many of them the state file records with a flow to delete, and how many drifted (the
//! manifest changed their source after their flow was created: the recorded flow is not theirs
//! to delete).

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::manifest::{self, identity};
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

/// The rows of the state file that have (or may have) a flow: `created`, or `unknown` (its call
/// may have created one); with the source its flow was made from. Kept in a scratch database
/// (`crate::scratch`) and looked up row by row, so that a million recorded rows are not held
/// in memory; none without a state file.
struct Recorded(Option<Connection>);

/// A scratch database that failed.
fn scratch(e: rusqlite::Error) -> String {
    format!("the delete preview's scratch database: {e}")
}

impl Recorded {
    fn read(s: &Settings) -> Result<Recorded, Failure> {
        let ro = match store::open_read_only(&s.state) {
            Ok(ro) => ro,
            Err(StoreError::Missing(_)) => return Ok(Recorded(None)),
            Err(e) => return Err(e.into()),
        };
        let fatal = Failure::Internal;
        let mut conn = crate::scratch::open(
            "CREATE TABLE recorded (dir BLOB PRIMARY KEY, source TEXT) WITHOUT ROWID;",
        )
        .map_err(|e| fatal(scratch(e)))?;
        let tx = conn.transaction().map_err(|e| fatal(scratch(e)))?;
        let mut stored = Ok(());
        {
            let mut insert = tx
                .prepare("INSERT OR REPLACE INTO recorded VALUES (?1, ?2)")
                .map_err(|e| fatal(scratch(e)))?;
            let read = ro.read(|r| {
                if stored.is_ok() && matches!(r.state, RowState::Created | RowState::Unknown) {
                    let dir = identity(&r.file_system_id, &r.target_key);
                    stored = insert.execute(params![&dir[..], r.source_key]).map(|_| ());
                }
            });
            read?;
        }
        stored.map_err(|e| fatal(scratch(e)))?;
        tx.commit().map_err(|e| fatal(scratch(e)))?;
        Ok(Recorded(Some(conn)))
    }

    /// The row's record: `None` when it has no flow to delete, else the source its flow was
    /// made from, if recorded.
    #[expect(
        clippy::option_option,
        reason = "not recorded vs. recorded without a source"
    )]
    fn get(
        &self,
        file_system_id: &str,
        target_key: &str,
    ) -> Result<Option<Option<String>>, String> {
        let Some(conn) = &self.0 else {
            return Ok(None);
        };
        let dir = identity(file_system_id, target_key);
        let mut select = conn
            .prepare_cached("SELECT source FROM recorded WHERE dir = ?1")
            .map_err(scratch)?;
        select
            .query_row([&dir[..]], |r| r.get(0))
            .optional()
            .map_err(scratch)
    }
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
    let recorded = Recorded::read(s)?;
    let mut groups: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let reader = manifest::read(&s.manifest, &opts)?;
    for row in reader {
        let row = row.map_err(|e| {
            Failure::Usage(format!("{}: {e} (the manifest changed?)", s.input.shown()))
        })?;
        let fs = &row.request.file_system_id;
        let found = recorded
            .get(fs, row.target_key())
            .map_err(Failure::Internal)?;
        let c = groups.entry((row.region.clone(), fs.clone())).or_default();
        c.rows += 1;
        match found {
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
