//! One data flow as the emulator holds it: its parameters, its Status life, and what no listing
//! shows (the last SecretId, how often its keys changed).

use std::time::Instant;

use crate::api::DataFlowInfo;
use crate::secret::Secret;

use super::params::normalize_target_path;

/// A flow's `Status`, as DescribeDataFlow lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowStatus {
    /// Being configured: every new flow, for `--available-after-ms`.
    Pending,
    /// In effect.
    Available,
    /// Not in effect (`--unavailable P` of new flows end so).
    Unavailable,
    /// Deleted, and still listed for `--deleting-ms`; its directory is still used.
    Deleting,
}

impl FlowStatus {
    /// Every status, in the order the API documents them.
    pub const ALL: [FlowStatus; 4] = [
        FlowStatus::Available,
        FlowStatus::Pending,
        FlowStatus::Unavailable,
        FlowStatus::Deleting,
    ];

    /// The API's name: `pending`, `available`, `unavailable` or `deleting`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlowStatus::Pending => "pending",
            FlowStatus::Available => "available",
            FlowStatus::Unavailable => "unavailable",
            FlowStatus::Deleting => "deleting",
        }
    }

    /// The status named `name` (any case).
    pub fn parse(name: &str) -> Option<FlowStatus> {
        FlowStatus::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// A flow's parameters: a valid CreateDataFlow, or a pre-existing flow. ModifyDataFlow changes
/// the name, AutoRefresh, the Kafka fields and the SecretId; source and target never change.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewFlow {
    pub(crate) file_system_id: String,
    pub(crate) data_flow_name: String,
    pub(crate) source_storage_type: String,
    pub(crate) source_storage_address: String,
    pub(crate) source_path: String,
    /// As the client sent it.
    pub(crate) target_path: String,
    pub(crate) auto_refresh: Option<u8>,
    /// `None` when absent or empty, as for the next two.
    pub(crate) user_kafka_topic: Option<String>,
    pub(crate) server_addr: Option<String>,
    pub(crate) user_name: Option<String>,
    /// The source bucket's key id; never listed.
    pub(crate) secret_id: Secret,
}

/// A flow that exists (or existed: `gone` flows are kept so that their ids are never reused).
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub(crate) id: String,
    pub(crate) new: NewFlow,
    pub(crate) creation_time: String,
    /// DescribeDataFlow shows it from this instant on (`--listing-delay-ms`).
    pub(crate) listed_at: Instant,
    /// `pending` until this instant.
    pub(crate) ready_at: Instant,
    /// What it is once no longer pending: `Available` or `Unavailable`.
    pub(crate) settled: FlowStatus,
    /// Set by the first DeleteDataFlow.
    pub(crate) deleting_since: Option<Instant>,
    /// Deleted and past its `deleting` time: no longer exists.
    pub(crate) gone: bool,
    /// ModifyDataFlow calls that acted on it.
    pub(crate) modifications: u32,
    /// ModifyDataFlow calls that carried SecretId or SecretKey.
    pub(crate) key_rotations: u32,
    /// ModifyDataFlow calls that carried Password.
    pub(crate) password_changes: u32,
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

    /// The status at `now`.
    pub(crate) fn status(&self, now: Instant) -> FlowStatus {
        if self.deleting_since.is_some() {
            FlowStatus::Deleting
        } else if now < self.ready_at {
            FlowStatus::Pending
        } else {
            self.settled
        }
    }

    /// The typed form, as DescribeDataFlow would list it at `now`.
    pub(crate) fn info(&self, now: Instant) -> DataFlowInfo {
        let n = &self.new;
        DataFlowInfo {
            data_flow_id: self.id.clone(),
            data_flow_name: n.data_flow_name.clone(),
            source_storage_type: n.source_storage_type.clone(),
            source_storage_address: n.source_storage_address.clone(),
            source_path: n.source_path.clone(),
            target_path: self.listed_target_path(),
            status: self.status(now).as_str().to_owned(),
            creation_time: self.creation_time.clone(),
            file_system_id: n.file_system_id.clone(),
            auto_refresh: n.auto_refresh.map(i64::from),
            user_kafka_topic: n.user_kafka_topic.clone().unwrap_or_default(),
            server_addr: n.server_addr.clone().unwrap_or_default(),
            user_name: n.user_name.clone().unwrap_or_default(),
        }
    }

    /// The inspection form, for tests.
    pub(crate) fn record(&self, now: Instant) -> FlowRecord {
        FlowRecord {
            info: self.info(now),
            secret_id: self.new.secret_id.clone(),
            modifications: self.modifications,
            key_rotations: self.key_rotations,
            password_changes: self.password_changes,
        }
    }
}

/// A flow as the emulator holds it: the listing form, plus what no listing shows, so that a
/// test can check that a modification or a key rotation reached the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    /// As DescribeDataFlow lists it now (whether or not the listing delay has passed).
    pub info: DataFlowInfo,
    /// The SecretId it was created with, or the last one a ModifyDataFlow gave it.
    pub secret_id: Secret,
    /// ModifyDataFlow calls that acted on it.
    pub modifications: u32,
    /// ModifyDataFlow calls that carried SecretId or SecretKey.
    pub key_rotations: u32,
    /// ModifyDataFlow calls that carried Password.
    pub password_changes: u32,
}
