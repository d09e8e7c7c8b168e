//! Where kept listings are stored (`core::kept`): a scratch database (`crate::scratch`), one row
//! per listed flow (or per task and key it is found under), with only the fields the operations
//! judge, clustered by group and key (one B-tree: a look is one descent). Read back in the order
//! it was listed, so that a row is judged from its directory's flows as it would have been from
//! the listing itself.

use std::collections::HashMap;

use rusqlite::{params, Connection, Row};

use super::core::Snapshot;
use crate::api::tasks::TaskInfo;
use crate::api::DataFlowInfo;

const SCHEMA: &str = "
CREATE TABLE flows (
    grp INTEGER NOT NULL, dir TEXT NOT NULL, seq INTEGER NOT NULL,
    id TEXT NOT NULL, name TEXT NOT NULL, fs TEXT NOT NULL,
    source_type TEXT NOT NULL, source_address TEXT NOT NULL, source_path TEXT NOT NULL,
    target TEXT NOT NULL, status TEXT NOT NULL, auto_refresh INTEGER,
    kafka_topic TEXT NOT NULL, server_addr TEXT NOT NULL, user_name TEXT NOT NULL,
    PRIMARY KEY (grp, dir, seq)
) WITHOUT ROWID;
CREATE TABLE tasks (
    grp INTEGER NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL,
    id TEXT NOT NULL, status TEXT NOT NULL, fs TEXT NOT NULL, name TEXT NOT NULL,
    flow TEXT NOT NULL, files_total INTEGER, files_done INTEGER, files_failed INTEGER,
    bytes_total INTEGER, bytes_done INTEGER, bytes_failed INTEGER, failed_list TEXT NOT NULL,
    PRIMARY KEY (grp, key, seq)
) WITHOUT ROWID;
";

const INSERT_FLOW: &str =
    "INSERT INTO flows VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
const SELECT_FLOWS: &str =
    "SELECT id, name, fs, source_type, source_address, source_path, target, \
     status, auto_refresh, kafka_topic, server_addr, user_name FROM flows \
     WHERE grp = ?1 AND dir = ?2 ORDER BY seq";
const INSERT_TASK: &str =
    "INSERT INTO tasks VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
const SELECT_TASKS: &str = "SELECT id, status, fs, name, flow, files_total, files_done, \
     files_failed, bytes_total, bytes_done, bytes_failed, failed_list FROM tasks \
     WHERE grp = ?1 AND key = ?2 ORDER BY seq";

/// The kept listings of one pass.
pub struct Store {
    conn: Connection,
    /// The groups stored, and whether they hold tasks (else flows).
    stored: HashMap<usize, bool>,
    /// Items stored so far: the order they were listed in, within a key.
    seq: i64,
}

fn failed(e: rusqlite::Error) -> String {
    format!("the scratch database of kept listings: {e}")
}

impl Store {
    /// An empty store in a new scratch database.
    pub fn open() -> Result<Store, String> {
        Ok(Store {
            conn: crate::scratch::open(SCHEMA).map_err(failed)?,
            stored: HashMap::new(),
            seq: 0,
        })
    }

    /// Stores what is left of a group's first listing.
    pub fn keep(&mut self, group: usize, snapshot: &Snapshot) -> Result<(), String> {
        let g = group as i64;
        let tx = self.conn.transaction().map_err(failed)?;
        match snapshot {
            Snapshot::Flows(at) => {
                let mut insert = tx.prepare_cached(INSERT_FLOW).map_err(failed)?;
                for (dir, flows) in at {
                    for f in flows {
                        self.seq += 1;
                        insert
                            .execute(params![
                                g,
                                dir,
                                self.seq,
                                f.data_flow_id,
                                f.data_flow_name,
                                f.file_system_id,
                                f.source_storage_type,
                                f.source_storage_address,
                                f.source_path,
                                f.target_path,
                                f.status,
                                f.auto_refresh,
                                f.user_kafka_topic,
                                f.server_addr,
                                f.user_name,
                            ])
                            .map_err(failed)?;
                    }
                }
            }
            Snapshot::Tasks(at) => {
                let mut insert = tx.prepare_cached(INSERT_TASK).map_err(failed)?;
                for (key, tasks) in at {
                    for t in tasks {
                        self.seq += 1;
                        insert
                            .execute(params![
                                g,
                                key,
                                self.seq,
                                t.task_id,
                                t.task_status,
                                t.file_system_id,
                                t.task_name,
                                t.data_flow_id,
                                t.file_total_count,
                                t.file_successed_count,
                                t.file_failed_count,
                                t.file_total_size,
                                t.file_successed_size,
                                t.file_failed_size,
                                t.file_failed_list,
                            ])
                            .map_err(failed)?;
                    }
                }
            }
        }
        tx.commit().map_err(failed)?;
        self.stored
            .insert(group, matches!(snapshot, Snapshot::Tasks(_)));
        Ok(())
    }

    /// What the group's kept listing holds at `keys`. A group not stored (its store failed) is
    /// an error, never an empty answer: nothing found means the directory is free.
    pub fn look(&self, group: usize, keys: &[String]) -> Result<Snapshot, String> {
        let Some(&tasks) = self.stored.get(&group) else {
            return Err(format!("no listing of group {group} was kept"));
        };
        let g = group as i64;
        if tasks {
            let mut select = self.conn.prepare_cached(SELECT_TASKS).map_err(failed)?;
            let mut at = HashMap::new();
            for key in keys {
                let found: Vec<TaskInfo> = select
                    .query_map(params![g, key], task)
                    .and_then(Iterator::collect)
                    .map_err(failed)?;
                if !found.is_empty() {
                    at.insert(key.clone(), found);
                }
            }
            return Ok(Snapshot::Tasks(at));
        }
        let mut select = self.conn.prepare_cached(SELECT_FLOWS).map_err(failed)?;
        let mut at = HashMap::new();
        for key in keys {
            let found: Vec<DataFlowInfo> = select
                .query_map(params![g, key], flow)
                .and_then(Iterator::collect)
                .map_err(failed)?;
            if !found.is_empty() {
                at.insert(key.clone(), found);
            }
        }
        Ok(Snapshot::Flows(at))
    }
}

fn flow(r: &Row<'_>) -> rusqlite::Result<DataFlowInfo> {
    Ok(DataFlowInfo {
        data_flow_id: r.get(0)?,
        data_flow_name: r.get(1)?,
        file_system_id: r.get(2)?,
        source_storage_type: r.get(3)?,
        source_storage_address: r.get(4)?,
        source_path: r.get(5)?,
        target_path: r.get(6)?,
        status: r.get(7)?,
        auto_refresh: r.get(8)?,
        user_kafka_topic: r.get(9)?,
        server_addr: r.get(10)?,
        user_name: r.get(11)?,
        creation_time: String::new(),
    })
}

fn task(r: &Row<'_>) -> rusqlite::Result<TaskInfo> {
    Ok(TaskInfo {
        task_id: r.get(0)?,
        task_status: r.get(1)?,
        file_system_id: r.get(2)?,
        task_name: r.get(3)?,
        data_flow_id: r.get(4)?,
        file_total_count: r.get(5)?,
        file_successed_count: r.get(6)?,
        file_failed_count: r.get(7)?,
        file_total_size: r.get(8)?,
        file_successed_size: r.get(9)?,
        file_failed_size: r.get(10)?,
        file_failed_list: r.get(11)?,
        ..TaskInfo::default()
    })
}
