//! One API call, from its headers to its reply: checks, rate, latency, faults, the action.

use std::time::Duration;

use crate::api::types::{SERVICE, VERSION};

use super::auth;
use super::counters::Counter;
use super::delete::{self, Deletion};
use super::flow::NewFlow;
use super::http::Request;
use super::issuer;
use super::modify::{self, Change};
use super::response::{self, ApiError};
use super::shared::{unix_now, Shared};
use super::{create, describe};

/// The actions the emulator serves; the value indexes the rate windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Create = 0,
    Describe = 1,
    Delete = 2,
    Modify = 3,
}

impl Action {
    /// How many actions there are: one rate window each.
    pub(crate) const COUNT: usize = 4;

    fn from_name(name: &str) -> Option<Action> {
        match name {
            "CreateDataFlow" => Some(Action::Create),
            "DescribeDataFlow" => Some(Action::Describe),
            "DeleteDataFlow" => Some(Action::Delete),
            "ModifyDataFlow" => Some(Action::Modify),
            _ => None,
        }
    }

    fn counter(self) -> Counter {
        match self {
            Action::Create => Counter::CreateCalls,
            Action::Describe => Counter::DescribeCalls,
            Action::Delete => Counter::DeleteCalls,
            Action::Modify => Counter::ModifyCalls,
        }
    }
}

/// What a valid call that changes something does, once it acts.
#[derive(Debug)]
pub(crate) enum Effect {
    Create(NewFlow),
    Delete(Deletion),
    Modify(Change),
}

/// What the connection does with a call.
#[derive(Debug)]
pub(crate) enum Reply {
    /// Write this status line and JSON body.
    Answer(&'static str, Vec<u8>),
    /// Close the connection without writing anything.
    Lose,
    /// Write nothing; once the client gives up, wait a moment and act.
    Late(Box<Effect>),
}

const OK: &str = "200 OK";

/// Handles one request. Every fault applies to every action; a lost response and a late answer
/// only to the ones that change something (create, delete, modify), which act all the same; a
/// lost listing only to DescribeDataFlow.
pub(crate) async fn handle(shared: &Shared, req: Request<'_>) -> Reply {
    if let Some(reply) = issuer::route(shared, &req) {
        return reply;
    }
    let action = req.header_str("x-tc-action").and_then(Action::from_name);
    if let Some(a) = action {
        shared.bump(a.counter());
    }
    let checked = precheck(shared, &req, action);
    let (draws, admitted) = shared.arrive(checked.as_ref().ok().copied());
    if !draws.latency.is_zero() {
        tokio::time::sleep(draws.latency).await;
    }
    let rid = draws.request_id.as_str();
    let action = match checked {
        Ok(action) => action,
        Err((status, err)) => return fail_with(shared, status, rid, &err),
    };
    if !admitted {
        let rate = shared.config().rate;
        let err = ApiError::owned(
            "RequestLimitExceeded",
            format!("Your current request times equals to `{rate}` in a second, which exceeds the frequency limit `{rate}` for a second. Please reduce the frequency of calls."),
        );
        return fail(shared, rid, &err);
    }
    if draws.internal_error {
        let err = ApiError::new("InternalError", "An internal error has occurred. Retry your request, but if the problem persists, contact us.");
        return fail(shared, rid, &err);
    }
    let (body, config) = (req.body(), shared.config());
    let effect = match action {
        Action::Describe => {
            if draws.lost_listing {
                shared.bump(Counter::LostListings);
                return Reply::Lose;
            }
            return match describe::parse(body, config) {
                Ok(query) => Reply::Answer(OK, response::success(rid, shared.describe(&query))),
                Err(err) => fail(shared, rid, &err),
            };
        }
        Action::Create => create::parse(body, config).map(Effect::Create),
        Action::Delete => delete::parse(body, config).map(Effect::Delete),
        Action::Modify => modify::parse(body, config).map(Effect::Modify),
    };
    let effect = match effect {
        Ok(effect) => effect,
        Err(err) => return fail(shared, rid, &err),
    };
    if draws.late_create {
        shared.bump(Counter::LateCreates);
        return Reply::Late(Box::new(effect));
    }
    let done = shared.apply(effect);
    if draws.lost_response {
        shared.bump(Counter::LostResponses);
        return Reply::Lose;
    }
    match done {
        Ok(fields) => Reply::Answer(OK, response::success(rid, fields)),
        Err(err) => fail(shared, rid, &err),
    }
}

/// The checks before the rate limit: method and path, common headers, the signature.
fn precheck(
    shared: &Shared,
    req: &Request<'_>,
    action: Option<Action>,
) -> Result<Action, (&'static str, ApiError)> {
    if !req.is_post() {
        return Err((
            "405 Method Not Allowed",
            ApiError::new("UnsupportedProtocol", "Only POST is served."),
        ));
    }
    if !req.is_root() {
        return Err((
            "404 Not Found",
            ApiError::new("UnsupportedProtocol", "Only the path / is served."),
        ));
    }
    let invalid = |message| Err((OK, ApiError::new("InvalidParameter", message)));
    let Some(action) = action else {
        return Err((
            OK,
            ApiError::new(
                "InvalidAction",
                "The action in X-TC-Action is missing or not one of CreateDataFlow, DescribeDataFlow, DeleteDataFlow, ModifyDataFlow.",
            ),
        ));
    };
    if req.header("x-tc-version") != Some(VERSION.as_bytes()) {
        return Err((
            OK,
            ApiError::new("NoSuchVersion", "X-TC-Version must be 2019-07-19."),
        ));
    }
    if req
        .header_str("x-tc-region")
        .is_none_or(|r| r.trim().is_empty())
    {
        return invalid("The header X-TC-Region is required.");
    }
    let Some(timestamp) = req
        .header_str("x-tc-timestamp")
        .and_then(|t| t.trim().parse::<i64>().ok())
    else {
        return invalid("The header X-TC-Timestamp is required: unix seconds.");
    };
    auth::verify_as(req, shared, SERVICE, timestamp, unix_now()).map_err(|e| (OK, e))?;
    Ok(action)
}

fn fail(shared: &Shared, request_id: &str, err: &ApiError) -> Reply {
    fail_with(shared, OK, request_id, err)
}

/// An error answer, counted by its kind.
fn fail_with(shared: &Shared, status: &'static str, request_id: &str, err: &ApiError) -> Reply {
    let counter = if err.is_auth() {
        Counter::AuthFailures
    } else if err.code == "RequestLimitExceeded" {
        Counter::Throttled
    } else if err.code == "InternalError" {
        Counter::InternalErrors
    } else {
        Counter::Rejected
    };
    shared.bump(counter);
    Reply::Answer(status, response::error(request_id, err))
}

/// How long a late call waits for the client to give up, at most.
pub(crate) const LATE_CREATE_MAX_WAIT: Duration = Duration::from_secs(600);
