//! `--preexisting FILE`: flows that exist before the first call, read from a CSV (header row) or
//! JSON Lines file with the manifest's column names (any case, snake_case allowed) plus optional
//! `DataFlowId` and `Status`. The file is the operator's, read once at startup: the first problem
//! stops the emulator with `FILE:LINE: field: message`. Messages never quote a value.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::secret::Secret;

use super::flow::{FlowStatus, NewFlow};
use super::params::{normalize_target_path, valid_file_system_id, valid_name};

/// Largest file read.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The columns, by their API names; `SecretKey`, `Password` and `Region` are accepted and unused.
const COLUMNS: [&str; 16] = [
    "FileSystemId",
    "SourceStorageType",
    "SourceStorageAddress",
    "SourcePath",
    "TargetPath",
    "SecretId",
    "SecretKey",
    "DataFlowName",
    "AutoRefresh",
    "UserKafkaTopic",
    "ServerAddr",
    "UserName",
    "Password",
    "Region",
    "DataFlowId",
    "Status",
];

/// One flow that exists before the first call. Build them in code, or read a file with [`load`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreexistingFlow {
    /// Where it was read (`FILE:LINE`), for messages; empty for flows built in code.
    pub origin: String,
    /// Its id; a fresh one (from the seed) when `None`.
    pub data_flow_id: Option<String>,
    /// Its status at startup; `available` when `None`. A `pending` flow becomes `available`
    /// after `--available-after-ms`, a `deleting` one is gone after `--deleting-ms`.
    pub status: Option<FlowStatus>,
    pub file_system_id: String,
    pub source_storage_type: String,
    pub source_storage_address: String,
    pub source_path: String,
    pub target_path: String,
    pub data_flow_name: String,
    pub auto_refresh: Option<u8>,
    pub user_kafka_topic: Option<String>,
    pub server_addr: Option<String>,
    pub user_name: Option<String>,
    /// Never listed; shown by [`super::FlowRecord`] only.
    pub secret_id: Secret,
}

impl PreexistingFlow {
    /// The flow's parameters, as the state holds them.
    pub(crate) fn to_new(&self) -> NewFlow {
        let some = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        NewFlow {
            file_system_id: self.file_system_id.clone(),
            data_flow_name: self.data_flow_name.clone(),
            source_storage_type: self.source_storage_type.clone(),
            source_storage_address: self.source_storage_address.clone(),
            source_path: self.source_path.clone(),
            target_path: self.target_path.clone(),
            auto_refresh: self.auto_refresh,
            user_kafka_topic: some(&self.user_kafka_topic),
            server_addr: some(&self.server_addr),
            user_name: some(&self.user_name),
            secret_id: self.secret_id.clone(),
        }
    }

    /// Where it came from, for a message: its origin, or its place in the list.
    pub(crate) fn place(&self, index: usize) -> String {
        if self.origin.is_empty() {
            format!("preexisting flow #{}", index + 1)
        } else {
            self.origin.clone()
        }
    }
}

/// A pre-existing flow that cannot be: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {message}")]
pub struct PreexistingError {
    /// `FILE:LINE`, `FILE`, or `preexisting flow #N`.
    pub place: String,
    /// What is wrong, never quoting a value.
    pub message: String,
}

fn problem(place: impl Into<String>, message: impl Into<String>) -> PreexistingError {
    PreexistingError {
        place: place.into(),
        message: message.into(),
    }
}

/// Reads `path` (`.csv` or `.jsonl`, UTF-8 with or without a BOM) and checks every flow: the
/// required `FileSystemId` and `TargetPath`, the create rules for the other fields, a known
/// `Status`, and no two flows with one directory or one id.
pub fn load(path: &Path) -> Result<Vec<PreexistingFlow>, PreexistingError> {
    let name = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let is_csv = match ext.as_deref() {
        Some("csv") => true,
        Some("jsonl") => false,
        _ => return Err(problem(&name, "must be a .csv or .jsonl file")),
    };
    let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_FILE_BYTES);
    if too_big {
        return Err(problem(&name, "larger than 256 MiB"));
    }
    let bytes = std::fs::read(path).map_err(|e| problem(&name, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        problem(format!("{name}:{line}"), "not UTF-8")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let records = if is_csv {
        csv_records(&name, text)?
    } else {
        jsonl_records(&name, text)?
    };
    let flows = records
        .into_iter()
        .map(|(line, values)| flow(format!("{name}:{line}"), values))
        .collect::<Result<Vec<_>, _>>()?;
    check_unique(&flows)?;
    Ok(flows)
}

/// One record: its line, and each column's value when given and not empty.
type Record = (u64, [Option<String>; COLUMNS.len()]);

/// The comparison form of a name: ASCII lower case without `_`, `-` and spaces.
fn fold(name: &str) -> String {
    name.trim()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn column(name: &str) -> Option<usize> {
    let folded = fold(name);
    COLUMNS.iter().position(|c| fold(c) == folded)
}

fn unknown(place: String, what: &str) -> PreexistingError {
    problem(
        place,
        format!("unknown {what} (not shown; known: {})", COLUMNS.join(", ")),
    )
}

fn csv_records(name: &str, text: &str) -> Result<Vec<Record>, PreexistingError> {
    // The csv crate counts lines by LF only after a CR ended a record, so CRLF files would get
    // wrong line numbers: every line end is made LF first (a CR inside a quoted value too).
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let at = |e: &csv::Error| {
        let line = e.position().map_or(1, csv::Position::line);
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths { len, .. } => {
                format!("a record of {len} fields, unlike the header")
            }
            _ => "not valid CSV".to_owned(),
        };
        problem(format!("{name}:{line}"), message)
    };
    let header = reader.headers().map_err(|e| at(&e))?.clone();
    let mut slots = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let slot =
            column(h).ok_or_else(|| unknown(format!("{name}:1"), &format!("column {}", i + 1)))?;
        if slots.contains(&slot) {
            return Err(problem(
                format!("{name}:1"),
                format!("{}: given twice", COLUMNS[slot]),
            ));
        }
        slots.push(slot);
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| at(&e))?;
        let line = record.position().map_or(0, csv::Position::line);
        let mut values: [Option<String>; COLUMNS.len()] = Default::default();
        for (&slot, v) in slots.iter().zip(record.iter()) {
            values[slot] = Some(v.to_owned()).filter(|v| !v.is_empty());
        }
        out.push((line, values));
    }
    Ok(out)
}

fn jsonl_records(name: &str, text: &str) -> Result<Vec<Record>, PreexistingError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let place = || format!("{name}:{line}");
        let object: Map<String, Value> =
            serde_json::from_str(raw).map_err(|_| problem(place(), "not a JSON object"))?;
        let mut values: [Option<String>; COLUMNS.len()] = Default::default();
        for (k, (key, v)) in object.iter().enumerate() {
            let slot = column(key).ok_or_else(|| unknown(place(), &format!("key {}", k + 1)))?;
            values[slot] = match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()).filter(|s| !s.is_empty()),
                Value::Number(n) => Some(n.to_string()),
                _ => {
                    return Err(problem(
                        place(),
                        format!("{}: must be a string or a number", COLUMNS[slot]),
                    ))
                }
            };
        }
        out.push((line, values));
    }
    Ok(out)
}

/// Checks one record's values and makes its flow.
fn flow(
    place: String,
    mut values: [Option<String>; COLUMNS.len()],
) -> Result<PreexistingFlow, PreexistingError> {
    let mut take = |name: &str| {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .and_then(|i| values[i].take())
    };
    let (fs, target) = (take("FileSystemId"), take("TargetPath"));
    let (storage_type, name) = (take("SourceStorageType"), take("DataFlowName"));
    let (auto_refresh, id, status) = (take("AutoRefresh"), take("DataFlowId"), take("Status"));
    let bad =
        |field: &str, message: &str| Err(problem(place.clone(), format!("{field}: {message}")));
    let Some(file_system_id) = fs else {
        return bad("FileSystemId", "required");
    };
    if !valid_file_system_id(&file_system_id) {
        return bad("FileSystemId", "not a file system id (cfs-[0-9a-z]+)");
    }
    let Some(target_path) = target else {
        return bad("TargetPath", "required");
    };
    if !target_path.starts_with("/cfs/") {
        return bad("TargetPath", "must start with /cfs/");
    }
    if storage_type
        .as_deref()
        .is_some_and(|t| !matches!(t, "S3_COS" | "S3_L5"))
    {
        return bad("SourceStorageType", "must be S3_COS or S3_L5");
    }
    if name.as_deref().is_some_and(|n| !valid_name(n)) {
        return bad(
            "DataFlowName",
            "at most 64 letters, digits, Chinese characters, _ and -",
        );
    }
    let auto_refresh = match auto_refresh.as_deref().map(str::trim) {
        None => None,
        Some("0") => Some(0),
        Some("1") => Some(1),
        Some(_) => return bad("AutoRefresh", "must be 0 or 1"),
    };
    let id_ok = |id: &str| {
        id.chars().count() <= 64 && !id.chars().any(|c| c.is_control() || c.is_whitespace())
    };
    if id.as_deref().is_some_and(|id| !id_ok(id)) {
        return bad("DataFlowId", "at most 64 characters, no spaces");
    }
    let status = match status.as_deref().map(FlowStatus::parse) {
        None => None,
        Some(Some(s)) => Some(s),
        Some(None) => {
            return bad(
                "Status",
                "must be pending, available, unavailable or deleting",
            )
        }
    };
    Ok(PreexistingFlow {
        data_flow_id: id,
        status,
        file_system_id,
        source_storage_type: storage_type.unwrap_or_default(),
        source_storage_address: take("SourceStorageAddress").unwrap_or_default(),
        source_path: take("SourcePath").unwrap_or_default(),
        target_path,
        data_flow_name: name.unwrap_or_default(),
        auto_refresh,
        user_kafka_topic: take("UserKafkaTopic"),
        server_addr: take("ServerAddr"),
        user_name: take("UserName"),
        secret_id: Secret::new(take("SecretId").unwrap_or_default()),
        origin: place,
    })
}

/// No two flows share a directory of a file system, or an id.
pub(crate) fn check_unique(flows: &[PreexistingFlow]) -> Result<(), PreexistingError> {
    let mut dirs: HashMap<(&str, &str), usize> = HashMap::new();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, f) in flows.iter().enumerate() {
        let dir = (
            f.file_system_id.as_str(),
            normalize_target_path(&f.target_path),
        );
        if let Some(&first) = dirs.get(&dir) {
            return Err(problem(
                f.place(i),
                format!(
                    "TargetPath: the directory already has a flow ({})",
                    flows[first].place(first)
                ),
            ));
        }
        dirs.insert(dir, i);
        if let Some(id) = f.data_flow_id.as_deref() {
            if let Some(&first) = ids.get(id) {
                return Err(problem(
                    f.place(i),
                    format!("DataFlowId: also the id of {}", flows[first].place(first)),
                ));
            }
            ids.insert(id, i);
        }
    }
    Ok(())
}
