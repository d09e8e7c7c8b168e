//! The CFS data-flow actions' parameters and answers, as the API names them.

use serde::{Deserialize, Deserializer};
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
    /// `available`, `pending`, `unavailable` or `deleting`.
    pub status: String,
    pub creation_time: String,
    pub file_system_id: String,
    /// 0 or 1 when the service lists it; `None` when absent, null or not an integer (the field
    /// is informational, so an odd value must not make the whole page unreadable).
    #[serde(deserialize_with = "lenient_integer")]
    pub auto_refresh: Option<i64>,
    /// Empty when absent or not a string, like the optional fields below.
    #[serde(deserialize_with = "lenient_string")]
    pub user_kafka_topic: String,
    #[serde(deserialize_with = "lenient_string")]
    pub server_addr: String,
    #[serde(deserialize_with = "lenient_string")]
    pub user_name: String,
}

/// An integer, or an integer written as a string; anything else is `None`.
pub(crate) fn lenient_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A string; anything else is empty.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        _ => String::new(),
    })
}

/// The parameters of one DeleteDataFlow call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteDataFlowRequest {
    pub data_flow_id: String,
    /// Sent when set: the service then also checks that the flow is on this file system.
    pub file_system_id: Option<String>,
}

impl DeleteDataFlowRequest {
    /// The JSON body, with the API's parameter names.
    pub fn to_body(&self) -> Vec<u8> {
        let mut m = Map::new();
        m.insert("DataFlowId".into(), Value::from(self.data_flow_id.as_str()));
        if let Some(v) = &self.file_system_id {
            m.insert("FileSystemId".into(), Value::from(v.as_str()));
        }
        serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
    }
}

/// The parameters of one ModifyDataFlow call: the flow, and the values to change (each sent
/// only when set; source and target cannot change). `Debug` never shows the secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModifyDataFlowRequest {
    pub data_flow_id: String,
    pub file_system_id: String,
    pub data_flow_name: Option<String>,
    pub secret_id: Option<Secret>,
    pub secret_key: Option<Secret>,
    pub auto_refresh: Option<u8>,
    pub user_kafka_topic: Option<String>,
    pub server_addr: Option<String>,
    pub user_name: Option<String>,
    pub password: Option<Secret>,
}

impl ModifyDataFlowRequest {
    /// The JSON body, with the API's parameter names; `AutoRefresh` is a number.
    pub fn to_body(&self) -> Vec<u8> {
        let mut m = Map::new();
        let mut put = |k: &str, v: &str| {
            m.insert(k.to_owned(), Value::String(v.to_owned()));
        };
        put("DataFlowId", &self.data_flow_id);
        put("FileSystemId", &self.file_system_id);
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
        for (k, v) in [
            ("SecretId", &self.secret_id),
            ("SecretKey", &self.secret_key),
            ("Password", &self.password),
        ] {
            if let Some(v) = v {
                put(k, v.expose());
            }
        }
        if let Some(a) = self.auto_refresh {
            m.insert("AutoRefresh".to_owned(), Value::from(a));
        }
        serde_json::to_vec(&Value::Object(m)).unwrap_or_default()
    }

    /// The secrets this request carries, for scrubbing server messages.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        [
            self.secret_id.as_ref(),
            self.secret_key.as_ref(),
            self.password.as_ref(),
        ]
        .into_iter()
        .flatten()
    }
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

/// A successful DeleteDataFlow: the flow now lists as `deleting`, then disappears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub request_id: String,
}

/// A successful ModifyDataFlow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modified {
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
    fn delete_and_modify_bodies_send_only_what_is_set() {
        let del = DeleteDataFlowRequest {
            data_flow_id: "cfs-dataflow-1".into(),
            file_system_id: None,
        };
        let v: Value = serde_json::from_slice(&del.to_body()).unwrap();
        assert_eq!(v, serde_json::json!({"DataFlowId": "cfs-dataflow-1"}));

        let req = ModifyDataFlowRequest {
            data_flow_id: "cfs-dataflow-1".into(),
            file_system_id: "cfs-1".into(),
            secret_id: Some(Secret::new("new-sid")),
            secret_key: Some(Secret::new("new-skey")),
            password: Some(Secret::new("kafka-pw")),
            auto_refresh: Some(0),
            user_kafka_topic: Some("topic".into()),
            ..Default::default()
        };
        let v: Value = serde_json::from_slice(&req.to_body()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"DataFlowId": "cfs-dataflow-1", "FileSystemId": "cfs-1",
                "SecretId": "new-sid", "SecretKey": "new-skey", "Password": "kafka-pw",
                "AutoRefresh": 0, "UserKafkaTopic": "topic"})
        );
        let shown = format!("{req:?}");
        for secret in ["new-sid", "new-skey", "kafka-pw"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(req.secrets().count(), 3);
    }

    #[test]
    fn listed_optional_fields_tolerate_absence_and_odd_types() {
        let full: DataFlowInfo = serde_json::from_value(serde_json::json!({
            "DataFlowId": "f", "Status": "available", "AutoRefresh": 1,
            "UserKafkaTopic": "t", "ServerAddr": "kafka:9095", "UserName": "u"
        }))
        .unwrap();
        assert_eq!(full.status, "available");
        assert_eq!(full.auto_refresh, Some(1));
        assert_eq!(
            (
                full.user_kafka_topic.as_str(),
                full.server_addr.as_str(),
                full.user_name.as_str()
            ),
            ("t", "kafka:9095", "u")
        );
        let bare: DataFlowInfo =
            serde_json::from_value(serde_json::json!({"DataFlowId": "f"})).unwrap();
        assert_eq!((bare.auto_refresh, bare.user_name.as_str()), (None, ""));
        let odd: DataFlowInfo = serde_json::from_value(serde_json::json!({
            "AutoRefresh": "1", "UserKafkaTopic": 5, "ServerAddr": null, "UserName": ["x"]
        }))
        .unwrap();
        assert_eq!(odd.auto_refresh, Some(1));
        assert_eq!(
            (odd.user_kafka_topic.as_str(), odd.server_addr.as_str()),
            ("", "")
        );
        let odd: DataFlowInfo =
            serde_json::from_value(serde_json::json!({"AutoRefresh": {"a": 1}})).unwrap();
        assert_eq!(odd.auto_refresh, None);
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
