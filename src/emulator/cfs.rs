//! The CFS API 3.0 endpoint: one call, from its headers to its reply (checks, rate, latency,
//! faults, the action). The metadata service and STS are [`super::sts`].

use std::time::Duration;

use super::action::{Action, Effect, ACTION_NAMES, SERVICE, VERSION};
use super::auth;
use super::clock::wall_unix_secs;
use super::counters::Counter;
use super::http::Request;
use super::reply::Reply;
use super::response::{self, ApiError};
use super::service::Service;
use super::{create, delete, describe, modify, sts, tasks};

const OK: &str = "200 OK";

/// Handles one request. Every fault applies to every action; a lost response and a late answer
/// only to the ones that change something (the flows' create, delete and modify, the tasks'
/// create and stop), which act all the same; a lost listing only to the two listings.
pub(crate) async fn handle(service: &Service, req: Request<'_>) -> Reply {
    if let Some(reply) = sts::route(service, &req) {
        return reply;
    }
    let action = req.header_str("x-tc-action").and_then(Action::from_name);
    if let Some(a) = action {
        service.bump(a.counter());
    }
    let checked = precheck(service, &req, action);
    let (draws, admitted) = service.arrive(checked.as_ref().ok().copied());
    if !draws.latency.is_zero() {
        tokio::time::sleep(draws.latency).await;
    }
    let rid = draws.request_id.as_str();
    let action = match checked {
        Ok(action) => action,
        Err((status, err)) => return fail_with(service, status, rid, &err),
    };
    if !admitted {
        let rate = service.config().rate;
        let err = ApiError::owned(
            "RequestLimitExceeded",
            format!("Your current request times equals to `{rate}` in a second, which exceeds the frequency limit `{rate}` for a second. Please reduce the frequency of calls."),
        );
        return fail(service, rid, &err);
    }
    if draws.internal_error {
        let err = ApiError::new("InternalError", "An internal error has occurred. Retry your request, but if the problem persists, contact us.");
        return fail(service, rid, &err);
    }
    let (body, config) = (req.body(), service.config());
    let effect = match action {
        Action::Describe | Action::DescribeTasks => {
            if draws.lost_listing {
                service.bump(Counter::LostListings);
                return Reply::Lose;
            }
            let listed = if action == Action::Describe {
                describe::parse(body, config).map(|q| service.describe(&q))
            } else {
                tasks::describe::parse(body, service.unix_now()).map(|q| service.describe_tasks(&q))
            };
            return match listed {
                Ok(fields) => Reply::Answer(OK, response::success(rid, fields)),
                Err(err) => fail(service, rid, &err),
            };
        }
        Action::Create => create::parse(body, config).map(Effect::Create),
        Action::Delete => delete::parse(body, config).map(Effect::Delete),
        Action::Modify => modify::parse(body, config).map(Effect::Modify),
        Action::CreateTask => tasks::create::parse(body, config).map(Effect::CreateTask),
        Action::StopTask => tasks::stop::parse(body).map(Effect::StopTask),
    };
    let effect = match effect {
        Ok(effect) => effect,
        Err(err) => return fail(service, rid, &err),
    };
    if draws.late_create {
        service.bump(Counter::LateCreates);
        return Reply::Late(Box::new(effect));
    }
    let done = service.apply(effect);
    if draws.lost_response {
        service.bump(Counter::LostResponses);
        return Reply::Lose;
    }
    match done {
        Ok(fields) => Reply::Answer(OK, response::success(rid, fields)),
        Err(err) => fail(service, rid, &err),
    }
}

/// The checks before the rate limit: method and path, common headers, the signature.
fn precheck(
    service: &Service,
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
            ApiError::owned(
                "InvalidAction",
                format!("The action in X-TC-Action is missing or not one of {ACTION_NAMES}."),
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
    auth::verify_as(req, service, SERVICE, timestamp, wall_unix_secs()).map_err(|e| (OK, e))?;
    Ok(action)
}

fn fail(service: &Service, request_id: &str, err: &ApiError) -> Reply {
    fail_with(service, OK, request_id, err)
}

/// An error answer, counted by its kind.
fn fail_with(service: &Service, status: &'static str, request_id: &str, err: &ApiError) -> Reply {
    let counter = if err.is_auth() {
        Counter::AuthFailures
    } else if err.code == "RequestLimitExceeded" {
        Counter::Throttled
    } else if err.code == "InternalError" {
        Counter::InternalErrors
    } else {
        Counter::Rejected
    };
    service.bump(counter);
    Reply::Answer(status, response::error(request_id, err))
}

/// How long a late call waits for the client to give up, at most.
pub(crate) const LATE_CREATE_MAX_WAIT: Duration = Duration::from_secs(600);
