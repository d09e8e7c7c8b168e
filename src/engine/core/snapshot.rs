//! What a listing found, indexed the way rows look things up: flows by directory, tasks by
//! their id, by the name a listing asked for, and by their flow. A row takes what is at its
//! keys; once judged, its entries are dropped, so that what is kept for rows fed later (out of
//! memory, see `engine::kept`) is only what rows still to come may need.

use std::collections::HashMap;

use super::super::op::{RowView, Scope};
use crate::api::tasks::TaskInfo;
use crate::api::{normalize_target_path, DataFlowInfo};

/// A listing's items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    Flows(Vec<DataFlowInfo>),
    Tasks(Vec<TaskInfo>),
}

impl Listed {
    /// How many items the listing holds.
    pub fn len(&self) -> usize {
        match self {
            Listed::Flows(v) => v.len(),
            Listed::Tasks(v) => v.len(),
        }
    }

    /// Whether the listing holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A listing, indexed.
#[derive(Debug)]
pub enum Snapshot {
    /// Flows by directory (normalised target path).
    Flows(HashMap<String, Vec<DataFlowInfo>>),
    /// Tasks by id, by `name:` the name a listing asked for, and by `flow:` their flow.
    Tasks(HashMap<String, Vec<TaskInfo>>),
}

/// The key of a task's flow.
fn flow_key(data_flow_id: &str) -> String {
    format!("flow:{data_flow_id}")
}

/// The key of tasks a listing of one name found.
fn name_key(name: &str) -> String {
    format!("name:{name}")
}

impl Snapshot {
    /// Indexes what a listing of `file_system_id` with `scope` found.
    pub fn of(listed: Listed, file_system_id: &str, scope: &Scope) -> Snapshot {
        match listed {
            Listed::Flows(flows) => {
                let mut s: HashMap<String, Vec<DataFlowInfo>> = HashMap::new();
                for f in flows
                    .into_iter()
                    .filter(|f| f.file_system_id == file_system_id)
                {
                    s.entry(normalize_target_path(&f.target_path).to_owned())
                        .or_default()
                        .push(f);
                }
                // Most directories have one flow: no spare capacity kept for a run's length.
                for flows in s.values_mut() {
                    flows.shrink_to_fit();
                }
                Snapshot::Flows(s)
            }
            Listed::Tasks(tasks) => {
                let asked = match scope {
                    Scope::Tasks { name: Some(n), .. } => Some(n.as_str()),
                    _ => None,
                };
                let mut s: HashMap<String, Vec<TaskInfo>> = HashMap::new();
                // A queued task may be listed without its name or file system: a listing asked
                // by name holds only tasks of that name.
                for t in tasks.into_iter().filter(|t| {
                    (t.file_system_id.is_empty() || t.file_system_id == file_system_id)
                        && (asked.is_none()
                            || t.task_name.is_empty()
                            || Some(t.task_name.as_str()) == asked)
                }) {
                    let mut keys = Vec::with_capacity(3);
                    if !t.task_id.is_empty() {
                        keys.push(t.task_id.clone());
                    }
                    if let Some(n) = asked {
                        keys.push(name_key(n));
                    }
                    if !t.data_flow_id.is_empty() {
                        keys.push(flow_key(&t.data_flow_id));
                    }
                    for k in keys {
                        s.entry(k).or_default().push(t.clone());
                    }
                }
                Snapshot::Tasks(s)
            }
        }
    }

    /// An empty listing of what `scope` covers.
    pub fn empty(scope: &Scope) -> Snapshot {
        match scope {
            Scope::Flows => Snapshot::Flows(HashMap::new()),
            Scope::Tasks { .. } => Snapshot::Tasks(HashMap::new()),
        }
    }

    /// Whether no key holds anything.
    pub fn is_empty(&self) -> bool {
        match self {
            Snapshot::Flows(s) => s.is_empty(),
            Snapshot::Tasks(s) => s.is_empty(),
        }
    }

    /// The keys a row looks under: its directory among flows; among tasks, its own task's id and
    /// name, and its flow.
    pub fn keys(&self, row: RowView<'_>) -> Vec<String> {
        match (self, row.task) {
            (Snapshot::Flows(_), _) => vec![row.row.target_key().to_owned()],
            (Snapshot::Tasks(_), None) => row.data_flow_id.map(flow_key).into_iter().collect(),
            (Snapshot::Tasks(_), Some(t)) => {
                let mut keys = Vec::with_capacity(3);
                if let Some(id) = &t.task_id {
                    keys.push(id.clone());
                }
                keys.push(name_key(&t.name));
                if let Some(df) = row.data_flow_id {
                    keys.push(flow_key(df));
                }
                keys
            }
        }
    }

    /// The flows at the row's directory.
    pub fn flows_at(&self, row: RowView<'_>) -> Vec<&DataFlowInfo> {
        match self {
            Snapshot::Flows(s) => s
                .get(row.row.target_key())
                .map(|v| v.iter().collect())
                .unwrap_or_default(),
            Snapshot::Tasks(_) => Vec::new(),
        }
    }

    /// The tasks of the row: its own (by id or name) and its flow's, each once.
    pub fn tasks_of(&self, row: RowView<'_>) -> Vec<&TaskInfo> {
        let Snapshot::Tasks(s) = self else {
            return Vec::new();
        };
        let mut out: Vec<&TaskInfo> = Vec::new();
        for k in self.keys(row) {
            for t in s.get(&k).into_iter().flatten() {
                let seen = out
                    .iter()
                    .any(|o| !t.task_id.is_empty() && o.task_id == t.task_id);
                if !seen {
                    out.push(t);
                }
            }
        }
        out
    }

    /// Drops what the row looked at: each row is judged once from a kept listing.
    pub fn forget(&mut self, row: RowView<'_>) {
        let keys = self.keys(row);
        match self {
            Snapshot::Flows(s) => {
                s.remove(row.row.target_key());
            }
            Snapshot::Tasks(s) => {
                for k in keys {
                    s.remove(&k);
                }
            }
        }
    }

    /// Keys held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        match self {
            Snapshot::Flows(s) => s.len(),
            Snapshot::Tasks(s) => s.len(),
        }
    }
}
