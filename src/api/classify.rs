//! One classification of every outcome of a call: what the engine may do next.

use std::error::Error;

use rustls::AlertDescription;
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

/// The code the service answers when a file system's queue of data tasks is full: nothing was
/// created; try later (never a failure of the row).
pub const WAITING_TASK_LIMIT: &str = "InvalidParameterValue.WaitingTaskLimitExceeded";

/// The code the service answers for a task in a status the action cannot take (stopping a task
/// that ended), and for deleting a flow a task is running on.
pub const INVALID_TASK_STATUS: &str = "UnsupportedOperation.InvalidLifecycleDataTaskStatus";

/// The code the service answers for a task id it does not know.
pub const INVALID_TASK_ID: &str = "InvalidParameterValue.InvalidLifecycleTaskId";

/// The code the service answers for a task on a flow or file system not in a state to take it.
pub const INVALID_FS_STATUS: &str = "InvalidParameterValue.InvalidFsStatus";

/// Classifies an API error code (the `Response.Error.Code` of an answer).
pub fn classify_code(code: &str) -> OutcomeClass {
    let (head, _) = code.split_once('.').unwrap_or((code, ""));
    match code {
        PATH_USED => return OutcomeClass::Unknown,
        WAITING_TASK_LIMIT => return OutcomeClass::Transient,
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

/// A TLS failure that no retry mends: the next handshake with the same endpoint fails the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The endpoint's certificate is not trusted (unknown issuer, expired, wrong name, ...).
    Certificate,
    /// The endpoint and bulkflow share no protocol version or cipher, or it refused the handshake.
    Handshake,
}

/// Finds a permanent TLS failure in an error's source chain, with rustls' own error to quote.
/// A reset or a timeout during the handshake is not one: those are retried as any connect failure.
pub fn permanent_tls_failure<'a>(
    e: &'a (dyn Error + 'static),
) -> Option<(TlsFailure, &'a (dyn Error + 'static))> {
    let tls = find_rustls(e)?;
    let kind = match tls {
        rustls::Error::InvalidCertificate(_)
        | rustls::Error::NoCertificatesPresented
        | rustls::Error::UnsupportedNameType
        | rustls::Error::InvalidCertRevocationList(_) => TlsFailure::Certificate,
        rustls::Error::AlertReceived(alert) => match alert {
            AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateRequired => TlsFailure::Certificate,
            AlertDescription::HandshakeFailure
            | AlertDescription::ProtocolVersion
            | AlertDescription::InsufficientSecurity
            | AlertDescription::AccessDenied => TlsFailure::Handshake,
            _ => return None,
        },
        rustls::Error::PeerIncompatible(_) => TlsFailure::Handshake,
        _ => return None,
    };
    Some((kind, tls))
}

/// The rustls error in a chain. hyper-rustls hands it over inside an `io::Error`, whose
/// `source()` skips the error it wraps, so each `io::Error` is opened with `get_ref()`.
fn find_rustls<'a>(e: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if let Some(tls) = find_rustls(inner) {
                return Some(tls);
            }
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::OutcomeClass::*;
    use super::*;

    /// An error that wraps another, as reqwest and hyper do.
    #[derive(Debug)]
    struct Wrapper(Box<dyn Error + Send + Sync + 'static>);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("client error (Connect)")
        }
    }

    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&*self.0)
        }
    }

    fn wrapped(tls: rustls::Error) -> Wrapper {
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        Wrapper(Box::new(Wrapper(Box::new(io))))
    }

    #[test]
    fn tls_failures_found_deep_in_the_chain() {
        use rustls::{CertificateError, PeerIncompatible};
        let cases = [
            (
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                Some(TlsFailure::Certificate),
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::Expired),
                Some(TlsFailure::Certificate),
            ),
            (
                rustls::Error::NoCertificatesPresented,
                Some(TlsFailure::Certificate),
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
                Some(TlsFailure::Handshake),
            ),
            (
                rustls::Error::PeerIncompatible(PeerIncompatible::Tls12NotOffered),
                Some(TlsFailure::Handshake),
            ),
            (
                rustls::Error::AlertReceived(AlertDescription::CloseNotify),
                None,
            ),
            (rustls::Error::DecryptError, None),
        ];
        for (tls, want) in cases {
            let text = tls.to_string();
            let e = wrapped(tls);
            let found = permanent_tls_failure(&e);
            assert_eq!(found.map(|(k, _)| k), want, "{text}");
            if let Some((_, quoted)) = found {
                assert_eq!(quoted.to_string(), text);
            }
        }
        let reset = Wrapper(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert_eq!(permanent_tls_failure(&reset).map(|(k, _)| k), None);
    }

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
