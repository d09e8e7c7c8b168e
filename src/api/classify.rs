//! One classification of every outcome of a call: what the engine may do next.

use serde::{Deserialize, Serialize};

/// What an outcome means for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    /// The call succeeded.
    Success,
    /// The whole run must stop: credentials, permissions, wrong endpoint or version.
    Fatal,
    /// This file system cannot take flows; the other rows of it fail without a call.
    FileSystem,
    /// Permanent for this row.
    Row,
    /// Throttled; slow down and send again.
    Throttled,
    /// The call certainly did not act; send again after a backoff.
    Transient,
    /// The call may have acted; ask the service before sending again.
    Unknown,
}

impl OutcomeClass {
    /// The lower-case name used in the state file and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeClass::Success => "success",
            OutcomeClass::Fatal => "fatal",
            OutcomeClass::FileSystem => "file_system",
            OutcomeClass::Row => "row",
            OutcomeClass::Throttled => "throttled",
            OutcomeClass::Transient => "transient",
            OutcomeClass::Unknown => "unknown",
        }
    }
}

/// The code the service answers when a directory already has a flow. It may be our own earlier
/// attempt, so it is `Unknown`, not a failure.
pub const PATH_USED: &str = "InvalidParameterValue.PathUsedInDataflow";

/// The code the service answers for a data flow id it does not know (DeleteDataFlow,
/// ModifyDataFlow). Permanent for the row; for a delete it means the flow is already gone.
pub const INVALID_DATA_FLOW_ID: &str = "InvalidParameterValue.InvalidDataFlowId";

/// Classifies an API error code (the `Response.Error.Code` of an answer).
pub fn classify_code(code: &str) -> OutcomeClass {
    let (head, _) = code.split_once('.').unwrap_or((code, ""));
    match code {
        PATH_USED => return OutcomeClass::Unknown,
        INVALID_DATA_FLOW_ID => return OutcomeClass::Row,
        "ResourceNotFound.FileSystemNotFound"
        | "InvalidParameterValue.InvalidFileSystemId"
        | "ResourceInsufficient.DataFlowLimitExceeded" => return OutcomeClass::FileSystem,
        _ => {}
    }
    match head {
        "AuthFailure"
        | "UnauthorizedOperation"
        | "InvalidAction"
        | "NoSuchVersion"
        | "UnsupportedRegion"
        | "InvalidRegion"
        | "UnsupportedProtocol" => OutcomeClass::Fatal,
        "RequestLimitExceeded" => OutcomeClass::Throttled,
        "InternalError" | "ServiceUnavailable" | "ResourceUnavailable" => OutcomeClass::Transient,
        // Everything else names something wrong with this row's parameters or resources:
        // InvalidParameter(Value), MissingParameter, UnknownParameter, FailedOperation,
        // LimitExceeded, ResourceNotFound, ResourceInUse, ResourceInsufficient,
        // UnsupportedOperation, RequestSizeLimitExceeded, and codes not yet documented.
        _ => OutcomeClass::Row,
    }
}

#[cfg(test)]
mod tests {
    use super::OutcomeClass::*;
    use super::*;

    /// Every code in `shared/api/README.md`, with its class.
    const TABLE: &[(&str, OutcomeClass)] = &[
        ("InvalidParameterValue.InvalidDataFlowName", Row),
        ("InvalidParameterValue.InvalidDataFlowSourceInfo", Row),
        (
            "InvalidParameterValue.InvalidDataFlowSourceStorageType",
            Row,
        ),
        ("InvalidParameterValue.InvalidDataFlowTargetPath", Row),
        ("InvalidParameterValue.InvalidFileSystemId", FileSystem),
        ("InvalidParameterValue.InvalidLifecycleDataTaskType", Row),
        ("InvalidParameterValue.PathUsedInDataflow", Unknown),
        // DeleteDataFlow and ModifyDataFlow of an id the service does not know: permanent for
        // the row (for a delete, the engine reads it as "already gone").
        ("InvalidParameterValue.InvalidDataFlowId", Row),
        ("ResourceInsufficient.DataFlowLimitExceeded", FileSystem),
        ("ResourceNotFound.FileSystemNotFound", FileSystem),
        ("AuthFailure.InvalidAuthorization", Fatal),
        ("AuthFailure.InvalidSecretId", Fatal),
        ("AuthFailure.SecretIdNotFound", Fatal),
        ("AuthFailure.SignatureExpire", Fatal),
        ("AuthFailure.SignatureFailure", Fatal),
        ("AuthFailure.TokenFailure", Fatal),
        ("AuthFailure.UnauthorizedOperation", Fatal),
        ("AuthFailure.MFAFailure", Fatal),
        ("UnauthorizedOperation", Fatal),
        ("RequestLimitExceeded", Throttled),
        ("RequestLimitExceeded.IPLimitExceeded", Throttled),
        ("RequestLimitExceeded.UinLimitExceeded", Throttled),
        (
            "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
            Throttled,
        ),
        ("InternalError", Transient),
        ("InternalError.DbError", Transient),
        ("ServiceUnavailable", Transient),
        ("ResourceUnavailable", Transient),
        ("FailedOperation", Row),
        ("InvalidAction", Fatal),
        ("InvalidParameter", Row),
        ("InvalidParameterValue", Row),
        ("MissingParameter", Row),
        ("UnknownParameter", Row),
        ("NoSuchVersion", Fatal),
        ("UnsupportedRegion", Fatal),
        ("RequestSizeLimitExceeded", Row),
        ("LimitExceeded", Row),
        ("ResourceNotFound", Row),
        ("ResourceInUse", Row),
        ("ResourceInsufficient", Row),
        ("UnsupportedOperation", Row),
        ("SomethingNew.NeverSeen", Row),
    ];

    #[test]
    fn every_documented_code_has_its_class() {
        for (code, class) in TABLE {
            assert_eq!(classify_code(code), *class, "{code}");
        }
    }
}
