//! The flows that exist, per file system, in creation order.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::Rng;

use crate::api::sign::utc_datetime;
use crate::api::{normalize_target_path, DataFlowInfo};

/// A valid CreateDataFlow, not yet checked against what exists.
#[derive(Debug, Clone)]
pub(crate) struct NewFlow {
    pub(crate) file_system_id: String,
    pub(crate) data_flow_name: String,
    pub(crate) source_storage_type: String,
    pub(crate) source_storage_address: String,
    pub(crate) source_path: String,
    /// As the client sent it.
    pub(crate) target_path: String,
    pub(crate) auto_refresh: Option<u8>,
}

/// A flow that exists.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub(crate) id: String,
    pub(crate) new: NewFlow,
    pub(crate) created_at: Instant,
    pub(crate) creation_time: String,
}

impl Flow {
    /// The target path as the service lists it: exactly one trailing slash.
    pub(crate) fn listed_target_path(&self) -> String {
        let p = normalize_target_path(&self.new.target_path);
        if p.ends_with('/') {
            p.to_owned()
        } else {
            format!("{p}/")
        }
    }

    /// `pending` until `available_after` has passed since creation, then `available`.
    pub(crate) fn status(&self, now: Instant, available_after: Duration) -> &'static str {
        if now.saturating_duration_since(self.created_at) < available_after {
            "pending"
        } else {
            "available"
        }
    }

    /// The typed form, as DescribeDataFlow would list it at `now`.
    pub(crate) fn info(&self, now: Instant, available_after: Duration) -> DataFlowInfo {
        DataFlowInfo {
            data_flow_id: self.id.clone(),
            data_flow_name: self.new.data_flow_name.clone(),
            source_storage_type: self.new.source_storage_type.clone(),
            source_storage_address: self.new.source_storage_address.clone(),
            source_path: self.new.source_path.clone(),
            target_path: self.listed_target_path(),
            status: self.status(now, available_after).to_owned(),
            creation_time: self.creation_time.clone(),
            file_system_id: self.new.file_system_id.clone(),
        }
    }
}

/// Why a valid request cannot make its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The directory already has a flow.
    PathUsed,
    /// The file system has `flow_limit` flows.
    LimitReached,
}

#[derive(Debug, Default)]
struct FileSystemFlows {
    /// Normalised target paths in use.
    paths: HashSet<String>,
    /// Indices into `Flows::all`, in creation order.
    indices: Vec<usize>,
}

/// Every flow, indexed by file system and id.
#[derive(Debug, Default)]
pub(crate) struct Flows {
    all: Vec<Flow>,
    by_fs: HashMap<String, FileSystemFlows>,
    ids: HashSet<String>,
}

impl Flows {
    /// Makes the flow unless its directory is used or its file system is full.
    pub(crate) fn create(
        &mut self,
        new: NewFlow,
        flow_limit: Option<u32>,
        rng: &mut StdRng,
        now: Instant,
        unix_now: i64,
    ) -> Result<&Flow, Refusal> {
        let fs = self.by_fs.entry(new.file_system_id.clone()).or_default();
        let path = normalize_target_path(&new.target_path);
        if fs.paths.contains(path) {
            return Err(Refusal::PathUsed);
        }
        if flow_limit.is_some_and(|limit| fs.indices.len() >= limit as usize) {
            return Err(Refusal::LimitReached);
        }
        let id = loop {
            let id = format!("cfs-dataflow-{:08x}", rng.gen::<u32>());
            if !self.ids.contains(&id) {
                break id;
            }
        };
        fs.paths.insert(path.to_owned());
        fs.indices.push(self.all.len());
        self.ids.insert(id.clone());
        self.all.push(Flow {
            id,
            new,
            created_at: now,
            creation_time: utc_datetime(unix_now),
        });
        let last = self.all.len() - 1;
        Ok(&self.all[last])
    }

    /// Every flow, in creation order.
    pub(crate) fn all(&self) -> &[Flow] {
        &self.all
    }

    /// The flows of one file system (or all), in creation order.
    pub(crate) fn of(&self, file_system_id: Option<&str>) -> Box<dyn Iterator<Item = &Flow> + '_> {
        match file_system_id {
            None => Box::new(self.all.iter()),
            Some(fs) => match self.by_fs.get(fs) {
                None => Box::new(std::iter::empty()),
                Some(f) => Box::new(f.indices.iter().filter_map(|&i| self.all.get(i))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn new(fs: &str, path: &str) -> NewFlow {
        NewFlow {
            file_system_id: fs.into(),
            data_flow_name: String::new(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b".into(),
            source_path: "/".into(),
            target_path: path.into(),
            auto_refresh: None,
        }
    }

    #[test]
    fn one_flow_per_directory_and_limit() {
        let mut flows = Flows::default();
        let mut rng = StdRng::seed_from_u64(1);
        let now = Instant::now();
        let mut create = |fs, path| {
            flows
                .create(new(fs, path), Some(2), &mut rng, now, 0)
                .map(|f| f.listed_target_path())
        };
        assert_eq!(create("cfs-1", "/cfs/a"), Ok("/cfs/a/".to_owned()));
        assert_eq!(create("cfs-1", "/cfs/a/"), Err(Refusal::PathUsed));
        assert_eq!(create("cfs-2", "/cfs/a//"), Ok("/cfs/a/".to_owned()));
        assert_eq!(create("cfs-1", "/cfs/b"), Ok("/cfs/b/".to_owned()));
        assert_eq!(create("cfs-1", "/cfs/c"), Err(Refusal::LimitReached));
        assert_eq!(flows.of(Some("cfs-1")).count(), 2);
        assert_eq!(flows.of(None).count(), 3);
        assert_eq!(flows.of(Some("cfs-9")).count(), 0);
    }
}
