//! What a plan looks up row by row, out of memory: every flow listed (compact, by directory) and
//! every row the state file records, in a scratch database (`crate::scratch`). A plan of a
//! million rows over file systems that already hold a million flows then keeps a few pages in
//! memory, not the flows.

use rusqlite::{params, Connection, OptionalExtension};

use super::verdict::{Flow, Kafka, Recorded, Status};
use crate::manifest::{Identity, SourceHash};
use crate::store::RowState;

const SCHEMA: &str = "
CREATE TABLE flows (
    dir BLOB NOT NULL, id TEXT NOT NULL, fs INTEGER NOT NULL, source BLOB NOT NULL,
    status TEXT NOT NULL, name TEXT NOT NULL, auto_refresh INTEGER,
    kafka_topic TEXT, server_addr TEXT, user_name TEXT,
    PRIMARY KEY (dir, id)
) WITHOUT ROWID;
CREATE TABLE recorded (
    dir BLOB PRIMARY KEY, state TEXT NOT NULL, data_flow_id TEXT, source BLOB, task TEXT
) WITHOUT ROWID;
";

/// Why the scratch database failed.
#[derive(Debug, thiserror::Error)]
#[error("the plan's scratch database: {0}")]
pub struct SpillError(#[from] rusqlite::Error);

/// The flows listed and the rows recorded.
pub struct Spilled {
    conn: Connection,
}

impl std::fmt::Debug for Spilled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Spilled")
    }
}

impl Spilled {
    pub fn open() -> Result<Spilled, SpillError> {
        Ok(Spilled {
            conn: crate::scratch::open(SCHEMA)?,
        })
    }

    /// Adds the flows one listing of file system `fs` (an index) found; returns how many were
    /// new. A flow listed twice at one directory (a file system named under two regions) is
    /// kept once, as first listed.
    pub fn add_flows(
        &mut self,
        fs: u32,
        flows: impl IntoIterator<Item = (Identity, Flow)>,
    ) -> Result<u64, SpillError> {
        let mut added = 0;
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO flows VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for (dir, f) in flows {
                let k = f.kafka.as_deref();
                added += insert.execute(params![
                    &dir[..],
                    &*f.data_flow_id,
                    fs,
                    &f.source[..],
                    f.status.as_str(),
                    &*f.data_flow_name,
                    f.auto_refresh,
                    k.map(|k| &*k.user_kafka_topic),
                    k.map(|k| &*k.server_addr),
                    k.map(|k| &*k.user_name),
                ])? as u64;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// The flows listed at a directory, by id, each with the index of its file system.
    pub fn flows_at(&self, dir: &Identity) -> Result<Vec<(u32, Flow)>, SpillError> {
        let mut select = self.conn.prepare_cached(
            "SELECT fs, id, source, status, name, auto_refresh, kafka_topic, server_addr, \
             user_name FROM flows WHERE dir = ?1 ORDER BY id",
        )?;
        let rows = select.query_map([&dir[..]], |r| {
            let kafka = match (r.get(6)?, r.get(7)?, r.get(8)?) {
                (Some(t), Some(s), Some(u)) => Some(Box::new(Kafka {
                    user_kafka_topic: String::into_boxed_str(t),
                    server_addr: String::into_boxed_str(s),
                    user_name: String::into_boxed_str(u),
                })),
                _ => None,
            };
            let flow = Flow {
                data_flow_id: r.get::<_, String>(1)?.into_boxed_str(),
                source: hash(r.get(2)?),
                status: Status::parse(&r.get::<_, String>(3)?),
                data_flow_name: r.get::<_, String>(4)?.into_boxed_str(),
                auto_refresh: r.get(5)?,
                kafka,
            };
            Ok((r.get(0)?, flow))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Flows listed, per file system index.
    pub fn flows_per_file_system(&self) -> Result<Vec<(u32, u64)>, SpillError> {
        let mut select = self
            .conn
            .prepare("SELECT fs, count(*) FROM flows GROUP BY fs")?;
        let rows = select.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.unsigned_abs())))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds what the state file records for a directory.
    pub fn add_recorded(
        &mut self,
        rows: impl IntoIterator<Item = (Identity, Recorded)>,
    ) -> Result<(), SpillError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert =
                tx.prepare_cached("INSERT OR REPLACE INTO recorded VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for (dir, r) in rows {
                insert.execute(params![
                    &dir[..],
                    r.state.as_str(),
                    r.data_flow_id.as_deref(),
                    r.source.as_ref().map(|s| &s[..]),
                    r.task.as_deref(),
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// What the state file records for a directory.
    pub fn recorded(&self, dir: &Identity) -> Result<Option<Recorded>, SpillError> {
        let mut select = self.conn.prepare_cached(
            "SELECT state, data_flow_id, source, task FROM recorded WHERE dir = ?1",
        )?;
        let row = select
            .query_row([&dir[..]], |r| {
                let state: String = r.get(0)?;
                Ok(Recorded {
                    // Written above from a state: never anything else.
                    state: RowState::parse(&state).unwrap_or(RowState::Pending),
                    data_flow_id: r.get::<_, Option<String>>(1)?.map(String::into_boxed_str),
                    source: r.get::<_, Option<Vec<u8>>>(2)?.map(hash),
                    task: r.get::<_, Option<String>>(3)?.map(String::into_boxed_str),
                })
            })
            .optional()?;
        Ok(row)
    }
}

/// A stored source hash (8 bytes, as written).
fn hash(bytes: Vec<u8>) -> SourceHash {
    let mut out = SourceHash::default();
    let n = bytes.len().min(out.len());
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::DataFlowInfo;
    use crate::manifest::identity;

    fn flow(id: &str, status: &str, kafka: bool) -> Flow {
        Flow::from_info(&DataFlowInfo {
            data_flow_id: id.into(),
            data_flow_name: format!("n-{id}"),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b".into(),
            source_path: "/s".into(),
            target_path: "/d".into(),
            status: status.into(),
            file_system_id: "cfs-1".into(),
            auto_refresh: Some(300),
            user_kafka_topic: if kafka { "t".into() } else { String::new() },
            ..DataFlowInfo::default()
        })
    }

    #[test]
    fn flows_come_back_by_directory_in_id_order_once_each() {
        let mut s = Spilled::open().unwrap();
        let d = identity("cfs-1", "/d");
        let e = identity("cfs-2", "/d");
        let (b, a) = (flow("df-b", "deleting", true), flow("df-a", "", false));
        assert_eq!(s.add_flows(0, [(d, b.clone()), (d, a.clone())]).unwrap(), 2);
        // The same file system listed again under another region: nothing new.
        assert_eq!(s.add_flows(0, [(d, b.clone())]).unwrap(), 0);
        assert_eq!(
            s.add_flows(1, [(e, flow("df-c", "available", false))])
                .unwrap(),
            1
        );
        assert_eq!(s.flows_at(&d).unwrap(), vec![(0, a), (0, b)]);
        assert!(s.flows_at(&identity("cfs-1", "/x")).unwrap().is_empty());
        let mut per = s.flows_per_file_system().unwrap();
        per.sort_unstable();
        assert_eq!(per, vec![(0, 2), (1, 1)]);
    }

    #[test]
    fn what_the_state_file_records_comes_back_as_recorded() {
        let mut s = Spilled::open().unwrap();
        let d = identity("cfs-1", "/d");
        let r = Recorded {
            state: RowState::Created,
            data_flow_id: Some("df-1".into()),
            source: Some([1, 2, 3, 4, 5, 6, 7, 8]),
            task: Some("metaload running".into()),
        };
        let bare = Recorded {
            state: RowState::Failed,
            data_flow_id: None,
            source: None,
            task: None,
        };
        let e = identity("cfs-1", "/e");
        s.add_recorded([(d, r.clone()), (e, bare.clone())]).unwrap();
        assert_eq!(s.recorded(&d).unwrap(), Some(r));
        assert_eq!(s.recorded(&e).unwrap(), Some(bare));
        assert_eq!(s.recorded(&identity("cfs-9", "/d")).unwrap(), None);
    }
}
