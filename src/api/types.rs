//! The CFS data-flow actions' parameters and answers, as the API names them.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::secret::Secret;

/// The API version of CFS.
pub const VERSION: &str = "2019-07-19";
/// The service name in the signature scope.
pub const SERVICE: &str = "cfs";
/// Most flows one DescribeDataFlow page can hold.
pub const DESCRIBE_PAGE_LIMIT: u32 = 100;

/// The parameters of one CreateDataFlow call. `Debug` never shows the secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateDataFlowRequest {
    pub file_system_id: String,
    pub source_storage_type: String,
    pub source_storage_address: String,
    pub source_path: String,
    pub target_path: String,
    pub secret_id: Secret,
    pub secret_key: Secret,
    pub data_flow_name: Option<String>,
    pub auto_refresh: Option<u8>,
    pub user_kafka_topic: Option<String>,
    pub server_addr: Option<String>,
    pub user_name: Option<String>,
    pub password: Option<Secret>,
}

impl CreateDataFlowRequest {
    /// The JSON body, with the API's parameter names; `AutoRefresh` is a number.
    pub fn to_body(&self) -> Vec<u8> {
        let mut m = Map::new();
        let mut put = |k: &str, v: &str| {
            m.insert(k.to_owned(), Value::String(v.to_owned()));
        };
        put("FileSystemId", &self.file_system_id);
        put("SourceStorageType", &self.source_storage_type);
        put("SourceStorageAddress", &self.source_storage_address);
        put("SourcePath", &self.source_path);
        put("TargetPath", &self.target_path);
        put("SecretId", self.secret_id.expose());
        put("SecretKey", self.secret_key.expose());
        for (k, v) in [
            ("DataFlowName", &self.data_flow_name),
            ("UserKafkaTopic", &self.user_kafka_topic),
            ("ServerAddr", &self.server_addr),
            ("UserName", &self.user_name),
        ] {
            if let Some(v) = v {
                put(k, v);
            }
        }
        if let Some(p) = &self.password {
            put("Password", p.expose());
        }
        if let Some(a) = self.auto_refresh {
            m.insert("AutoRefresh".to_owned(), Value::from(a));
        }
        serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
    }

    /// The secrets this request carries, for scrubbing server messages.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        [
            Some(&self.secret_id),
            Some(&self.secret_key),
            self.password.as_ref(),
        ]
        .into_iter()
        .flatten()
    }
}

/// The parameters of one DescribeDataFlow page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribeDataFlowRequest {
    pub file_system_id: Option<String>,
    pub data_flow_id: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl DescribeDataFlowRequest {
    /// The JSON body; `Limit` and `Offset` are numbers.
    pub fn to_body(&self) -> Vec<u8> {
        let mut m = Map::new();
        if let Some(v) = &self.file_system_id {
            m.insert("FileSystemId".into(), Value::from(v.as_str()));
        }
        if let Some(v) = &self.data_flow_id {
            m.insert("DataFlowId".into(), Value::from(v.as_str()));
        }
        if let Some(v) = self.limit {
            m.insert("Limit".into(), Value::from(v));
        }
        if let Some(v) = self.offset {
            m.insert("Offset".into(), Value::from(v));
        }
        serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
    }
}

/// One data flow as DescribeDataFlow lists it. Fields the service may leave out default to empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DataFlowInfo {
    pub data_flow_id: String,
    pub data_flow_name: String,
    pub source_storage_type: String,
    pub source_storage_address: String,
    pub source_path: String,
    pub target_path: String,
    pub status: String,
    pub creation_time: String,
    pub file_system_id: String,
}

/// One page of DescribeDataFlow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescribePage {
    pub total_count: u64,
    pub data_flows: Vec<DataFlowInfo>,
    pub request_id: String,
}

/// A successful CreateDataFlow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub data_flow_id: String,
    pub request_id: String,
}

/// The identity form of a target path: the service allows one flow per directory, and lists
/// `/cfs/a` as `/cfs/a/`, so trailing slashes do not make paths different.
pub fn normalize_target_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/"
    } else {
        trimmed
    }
}

/// The identity form of a source path, for deciding whether a listed flow is ours.
pub fn normalize_source_path(path: &str) -> &str {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        ""
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_uses_api_names_and_numbers() {
        let req = CreateDataFlowRequest {
            file_system_id: "cfs-1".into(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b.cos".into(),
            source_path: "/p".into(),
            target_path: "/cfs/a".into(),
            secret_id: Secret::new("sid"),
            secret_key: Secret::new("skey"),
            auto_refresh: Some(1),
            ..Default::default()
        };
        let v: Value = serde_json::from_slice(&req.to_body()).unwrap();
        assert_eq!(v["AutoRefresh"], Value::from(1));
        assert_eq!(v["SecretKey"], "skey");
        assert!(v.get("DataFlowName").is_none());
        assert!(!format!("{req:?}").contains("skey"));
    }

    #[test]
    fn paths_normalize() {
        assert_eq!(normalize_target_path("/cfs/a/"), "/cfs/a");
        assert_eq!(normalize_target_path("/cfs/a//"), "/cfs/a");
        assert_eq!(normalize_target_path("/cfs/a"), "/cfs/a");
        assert_eq!(normalize_target_path("/"), "/");
        assert_eq!(normalize_source_path("/x/y/"), "x/y");
    }
}
