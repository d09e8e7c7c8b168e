//! The Tencent Cloud CFS API 3.0: signing, credentials, typed calls and the classification of
//! their outcomes.

mod answer;
pub mod classify;
pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod regions;
pub mod request;
mod secret_echo;
pub mod sign;
pub mod tasks;
pub mod tls;
pub mod types;
pub mod untrusted;

pub use classify::{classify_code, OutcomeClass};
pub use client::Client;
pub use credentials::{CredentialProvider, Credentials};
pub use endpoint::{Endpoint, Target};
pub use error::CallError;
pub use request::{Action, Reply, Request};
pub use types::{
    normalize_target_path, CreateDataFlowRequest, Created, DataFlowInfo, DeleteDataFlowRequest,
    Deleted, DescribeDataFlowRequest, DescribePage, Modified, ModifyDataFlowRequest,
};
