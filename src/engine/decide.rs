//! The decisions of the run as plain functions: what an outcome means for a row, and what a
//! listing says about a row whose call had an unknown outcome. No I/O, no clock.

use crate::api::classify::PATH_USED;
use crate::api::client::codes;
use crate::api::types::normalize_source_path;
use crate::api::{
    normalize_target_path, CallError, CreateDataFlowRequest, Created, DataFlowInfo, OutcomeClass,
};

use super::backoff::Backoff;

/// What to do with a row after one CreateDataFlow call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterCall {
    /// The flow exists and this is its id.
    Created {
        data_flow_id: String,
        request_id: String,
    },
    /// Permanent for this row.
    Failed { error: CallError },
    /// Permanent for this row's file system: fail its other rows without calling.
    FailFileSystem { error: CallError },
    /// Send again after a backoff.
    Retry { backoff: Backoff, error: CallError },
    /// The call may have acted: list the file system before sending again.
    Resolve { path_used: bool, error: CallError },
    /// Stop the run.
    Fatal { error: CallError },
}

/// Decides what a call's result means. `attempts` counts this run's calls for the row, this one
/// included.
pub fn after_call(
    result: &Result<Created, CallError>,
    attempts: u32,
    max_attempts: u32,
) -> AfterCall {
    let error = match result {
        Ok(c) => {
            return AfterCall::Created {
                data_flow_id: c.data_flow_id.clone(),
                request_id: c.request_id.clone(),
            }
        }
        Err(e) => e.clone(),
    };
    match error.class {
        OutcomeClass::Success => AfterCall::Failed { error },
        OutcomeClass::Fatal => AfterCall::Fatal { error },
        OutcomeClass::FileSystem => AfterCall::FailFileSystem { error },
        OutcomeClass::Row => AfterCall::Failed { error },
        // No attempt ever reached the service: the endpoint is wrong or unreachable, which is the
        // run's problem, not the row's. Stop (exit 3, resumable) rather than fail the row for good.
        OutcomeClass::Transient
            if attempts >= max_attempts && error.code == codes::CONNECT_FAILED =>
        {
            AfterCall::Fatal {
                error: gave_up(error, attempts),
            }
        }
        OutcomeClass::Throttled | OutcomeClass::Transient if attempts >= max_attempts => {
            AfterCall::Failed {
                error: gave_up(error, attempts),
            }
        }
        OutcomeClass::Throttled => AfterCall::Retry {
            backoff: Backoff::THROTTLED,
            error,
        },
        OutcomeClass::Transient => AfterCall::Retry {
            backoff: Backoff::TRANSIENT,
            error,
        },
        OutcomeClass::Unknown => AfterCall::Resolve {
            path_used: error.code == PATH_USED,
            error,
        },
    }
}

/// The error recorded for a row that used up its attempts.
pub fn gave_up(mut error: CallError, attempts: u32) -> CallError {
    error.message = format!("gave up after {attempts} attempts; last: {}", error.message);
    error
}

/// What a listing of the row's file system says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Our flow is there: the row is created with this id.
    Ours { data_flow_id: String },
    /// Another flow (another source) holds the directory.
    Conflict { data_flow_id: String },
    /// No flow holds the directory: send again.
    Resend,
    /// The service said the directory is used, but the listing does not show it (yet): look again
    /// later.
    LookAgain,
    /// Looked `listings` times for a flow the service says exists, and never saw it.
    GiveUp { message: String },
}

/// True when a listed flow is the one this row asks for: same file system, directory and source.
pub fn is_ours(req: &CreateDataFlowRequest, flow: &DataFlowInfo) -> bool {
    flow.file_system_id == req.file_system_id
        && normalize_target_path(&flow.target_path) == normalize_target_path(&req.target_path)
        && flow.source_storage_type == req.source_storage_type
        && flow.source_storage_address.trim_end_matches('/')
            == req.source_storage_address.trim_end_matches('/')
        && normalize_source_path(&flow.source_path) == normalize_source_path(&req.source_path)
}

/// Decides from the flows listed for the row's file system. `listings` counts the listings done
/// for this row so far, this one included.
pub fn after_listing(
    req: &CreateDataFlowRequest,
    listed: &[DataFlowInfo],
    path_used: bool,
    listings: u32,
    max_listings: u32,
) -> Verdict {
    let key = normalize_target_path(&req.target_path);
    let mut holder = None;
    for flow in listed {
        if flow.file_system_id != req.file_system_id
            || normalize_target_path(&flow.target_path) != key
        {
            continue;
        }
        if is_ours(req, flow) {
            return Verdict::Ours {
                data_flow_id: flow.data_flow_id.clone(),
            };
        }
        holder.get_or_insert(flow);
    }
    if let Some(flow) = holder {
        return Verdict::Conflict {
            data_flow_id: flow.data_flow_id.clone(),
        };
    }
    if !path_used {
        return Verdict::Resend;
    }
    if listings < max_listings {
        return Verdict::LookAgain;
    }
    Verdict::GiveUp {
        message: format!(
            "the service says {key} already has a data flow, but {listings} listings of {} did not show it",
            req.file_system_id
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::client::codes;

    fn error(class: OutcomeClass, code: &str) -> CallError {
        CallError {
            class,
            code: code.into(),
            message: "m".into(),
            request_id: None,
        }
    }

    #[test]
    fn each_class_leads_to_its_decision() {
        use OutcomeClass::*;
        let ok = Ok(Created {
            data_flow_id: "cfs-dataflow-1".into(),
            request_id: "r".into(),
        });
        assert!(matches!(after_call(&ok, 1, 8), AfterCall::Created { .. }));
        let cases: &[(OutcomeClass, &str, u32, &str)] = &[
            (Fatal, "AuthFailure.SignatureFailure", 1, "fatal"),
            (FileSystem, "ResourceNotFound.FileSystemNotFound", 1, "fs"),
            (
                Row,
                "InvalidParameterValue.InvalidDataFlowName",
                1,
                "failed",
            ),
            (Throttled, "RequestLimitExceeded", 1, "retry"),
            (Throttled, "RequestLimitExceeded", 8, "failed"),
            (Transient, "InternalError", 7, "retry"),
            (Transient, "InternalError", 8, "failed"),
            (Transient, codes::CONNECT_FAILED, 7, "retry"),
            (Transient, codes::CONNECT_FAILED, 8, "fatal"),
            (Unknown, codes::TIMEOUT, 8, "resolve"),
            (Unknown, PATH_USED, 1, "resolve-used"),
        ];
        for (class, code, attempts, want) in cases {
            let got = match after_call(&Err(error(*class, code)), *attempts, 8) {
                AfterCall::Fatal { .. } => "fatal",
                AfterCall::FailFileSystem { .. } => "fs",
                AfterCall::Failed { .. } => "failed",
                AfterCall::Retry { .. } => "retry",
                AfterCall::Resolve {
                    path_used: false, ..
                } => "resolve",
                AfterCall::Resolve {
                    path_used: true, ..
                } => "resolve-used",
                AfterCall::Created { .. } => "created",
            };
            assert_eq!(got, *want, "{class:?} {code} {attempts}");
        }
    }

    fn request() -> CreateDataFlowRequest {
        CreateDataFlowRequest {
            file_system_id: "cfs-1".into(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b.cos".into(),
            source_path: "/src".into(),
            target_path: "/cfs/a".into(),
            ..Default::default()
        }
    }

    fn listed(id: &str, target: &str, source_path: &str) -> DataFlowInfo {
        DataFlowInfo {
            data_flow_id: id.into(),
            file_system_id: "cfs-1".into(),
            source_storage_type: "S3_COS".into(),
            source_storage_address: "https://b.cos/".into(),
            source_path: source_path.into(),
            target_path: target.into(),
            ..Default::default()
        }
    }

    #[test]
    fn listings_decide_ours_conflict_resend_and_bounded_waiting() {
        let r = request();
        let ours = [
            listed("x", "/cfs/b/", "src"),
            listed("mine", "/cfs/a/", "src/"),
        ];
        assert_eq!(
            after_listing(&r, &ours, true, 1, 5),
            Verdict::Ours {
                data_flow_id: "mine".into()
            }
        );
        let other = [listed("theirs", "/cfs/a/", "elsewhere")];
        assert_eq!(
            after_listing(&r, &other, false, 1, 5),
            Verdict::Conflict {
                data_flow_id: "theirs".into()
            }
        );
        let none = [listed("x", "/cfs/ab/", "src")];
        assert_eq!(after_listing(&r, &none, false, 1, 5), Verdict::Resend);
        assert_eq!(after_listing(&r, &none, true, 4, 5), Verdict::LookAgain);
        assert!(matches!(
            after_listing(&r, &none, true, 5, 5),
            Verdict::GiveUp { .. }
        ));
    }
}
