//! DescribeDataFlow: filters, paging, and the listing form of a flow.

use std::time::Instant;

use serde_json::{Map, Value};

use super::config::EmulatorConfig;
use super::flow::Flow;
use super::flows::Flows;
use super::limits::{DEFAULT_PAGE, MAX_PAGE};
use super::params::{check_file_system, only_known, optional_number, optional_str, parse_object};
use super::response::ApiError;

const PARAMS: &[&str] = &[
    "FileSystemId",
    "DataFlowId",
    "Limit",
    "Offset",
    "CfsVersion",
];

/// One DescribeDataFlow request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    file_system_id: Option<String>,
    data_flow_id: Option<String>,
    limit: usize,
    offset: usize,
}

/// Reads and checks a DescribeDataFlow body.
pub(crate) fn parse(body: &[u8], config: &EmulatorConfig) -> Result<Query, ApiError> {
    let p = parse_object(body)?;
    only_known(&p, PARAMS)?;
    let file_system_id = optional_str(&p, "FileSystemId")?.filter(|s| !s.is_empty());
    let data_flow_id = optional_str(&p, "DataFlowId")?.filter(|s| !s.is_empty());
    optional_str(&p, "CfsVersion")?;
    let limit = match optional_number(&p, "Limit")?.map(|n| n.as_u64()) {
        None => DEFAULT_PAGE,
        Some(Some(n)) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::owned(
                "InvalidParameterValue",
                format!("Limit must be an integer from 1 to {MAX_PAGE}."),
            ))
        }
    };
    let offset = match optional_number(&p, "Offset")?.map(|n| n.as_u64()) {
        None => 0,
        Some(Some(n)) => n,
        Some(None) => {
            return Err(ApiError::new(
                "InvalidParameterValue",
                "Offset must be a non-negative integer.",
            ))
        }
    };
    if let Some(fs) = file_system_id {
        check_file_system(fs, config.file_systems.as_deref())?;
    }
    Ok(Query {
        file_system_id: file_system_id.map(str::to_owned),
        data_flow_id: data_flow_id.map(str::to_owned),
        limit: limit as usize,
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
    })
}

/// The answer's fields (`TotalCount`, `DataFlows`) for the flows listed at `now`. Call
/// [`Flows::expire`] first.
pub(crate) fn answer(flows: &Flows, q: &Query, now: Instant) -> Map<String, Value> {
    let matching = flows
        .of(q.file_system_id.as_deref())
        .filter(|f| q.data_flow_id.as_deref().is_none_or(|id| f.id == id) && now >= f.listed_at);
    let mut total = 0u64;
    let mut page = Vec::with_capacity(q.limit.min(DEFAULT_PAGE as usize));
    for (i, flow) in matching.enumerate() {
        total += 1;
        if i >= q.offset && page.len() < q.limit {
            page.push(listed(flow, now));
        }
    }
    let mut m = Map::new();
    m.insert("TotalCount".to_owned(), Value::from(total));
    m.insert("DataFlows".to_owned(), Value::Array(page));
    m
}

/// A flow as DescribeDataFlow lists it: the optional fields only when set, never a secret.
fn listed(flow: &Flow, now: Instant) -> Value {
    let n = &flow.new;
    let mut m = Map::new();
    let mut put = |k: &str, v: &str| {
        m.insert(k.to_owned(), Value::from(v));
    };
    put("DataFlowId", &flow.id);
    put("DataFlowName", &n.data_flow_name);
    put("SourceStorageType", &n.source_storage_type);
    put("SourceStorageAddress", &n.source_storage_address);
    put("SourcePath", &n.source_path);
    put("TargetPath", &flow.listed_target_path());
    put("Status", flow.status(now).as_str());
    put("CreationTime", &flow.creation_time);
    put("FileSystemId", &n.file_system_id);
    for (k, v) in [
        ("UserKafkaTopic", &n.user_kafka_topic),
        ("ServerAddr", &n.server_addr),
        ("UserName", &n.user_name),
    ] {
        if let Some(v) = v {
            put(k, v);
        }
    }
    if let Some(a) = n.auto_refresh {
        m.insert("AutoRefresh".to_owned(), Value::from(a));
    }
    Value::Object(m)
}
