//! The option groups the commands share, resolved: the API options of `run`, `plan`, `delete`
//! and `task` (the manifest, where the calls go, the region, how fast), and the exec options of
//! those that record their work. Every value is checked again, whatever clap did.

use std::path::PathBuf;
use std::time::Duration;

use super::resume::Destination;
use super::{
    choose_region, default_state, inputs, ApiSettings, Problem, Profile, RegionChoice, Service,
    UsageError, DEFAULT_ENDPOINT,
};
use crate::api::{regions, Endpoint};
use crate::cli::bounds::{self, BadValue};
use crate::cli::{ApiArgs, ExecArgs};

/// An environment variable, with an empty or blank value counted as unset.
fn var(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

/// `raw` as a message may show it: scheme, host and port, with `***` for any user name,
/// password, path, query and fragment; `(not shown)` when it has no host.
fn masked_url(raw: &str) -> String {
    let parsed = url::Url::parse(raw.trim());
    let Some((url, host)) = parsed
        .as_ref()
        .ok()
        .and_then(|u| u.host_str().map(|h| (u, h)))
    else {
        return "(not shown)".to_owned();
    };
    let mut out = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        out.push_str("***@");
    }
    out.push_str(host);
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    if !matches!(url.path(), "" | "/") {
        out.push_str("/***");
    }
    if url.query().is_some() {
        out.push_str("?***");
    }
    if url.fragment().is_some() {
        out.push_str("#***");
    }
    out
}

/// Concurrency enough for `rate` at a 2 s latency, within `--concurrency`'s range; 64 unpaced.
pub fn default_concurrency(rate: f64) -> usize {
    if rate > 0.0 {
        // `as` saturates; the clamp keeps it in range anyway.
        (rate * 2.0)
            .ceil()
            .clamp(1.0, bounds::CONCURRENCY.max as f64) as usize
    } else {
        64
    }
}

fn seconds(range: &bounds::Real, v: f64) -> Result<Duration, UsageError> {
    let v = range.check(v)?;
    Duration::try_from_secs_f64(v).map_err(|_| {
        UsageError::Value(BadValue {
            flag: range.flag,
            value: format!("{v:?}"),
            problem: Problem::OutOfRange,
            allowed: range.allowed,
        })
    })
}

/// Where the calls go: the emulator, or the endpoint of `--endpoint`, `BULKFLOW_ENDPOINT` or
/// the default; with how the resume command names it.
fn service(
    args: &ApiArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Service, Destination), UsageError> {
    if args.emulator {
        return Ok((Service::Emulator, Destination::Emulator));
    }
    let endpoint = args
        .endpoint
        .clone()
        .or_else(|| var(env, "BULKFLOW_ENDPOINT"))
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    let parsed = Endpoint::parse(&endpoint).map_err(|e| {
        // The endpoint's own messages quote the URL as given.
        if endpoint.contains(['@', '?', '#']) {
            UsageError::EndpointMasked(masked_url(&endpoint))
        } else {
            UsageError::Endpoint(e)
        }
    })?;
    let shown = endpoint.trim().trim_end_matches('/');
    let destination = if shown == DEFAULT_ENDPOINT {
        Destination::Default
    } else {
        Destination::Endpoint(shown.to_owned())
    };
    Ok((Service::Api(parsed), destination))
}

/// Refuses a default region from `--region` or `TENCENTCLOUD_REGION` that is not a Tencent
/// Cloud region, unless `allow`. (A region from the profile's file is checked once read.)
pub(super) fn check_region(choice: &RegionChoice, allow: bool) -> Result<(), UsageError> {
    let (source_name, region) = match choice {
        RegionChoice::Flag(r) => ("--region", r),
        RegionChoice::Env(r) => ("TENCENTCLOUD_REGION", r),
        // A profile's region (and the variable after it) is checked once the file is read.
        RegionChoice::Profile(_) | RegionChoice::ProfileThenEnv(..) | RegionChoice::Nowhere => {
            return Ok(())
        }
    };
    match regions::unknown(region) {
        Some(message) if !allow => Err(UsageError::UnknownRegion {
            source_name,
            message,
        }),
        _ => Ok(()),
    }
}

/// Resolves the API options `run`, `plan`, `delete` and `task` share. `env` reads an
/// environment variable (`BULKFLOW_ENDPOINT`, `TENCENTCLOUD_REGION`); `home` is where `~/.tccli`
/// is. `writes_state`: the command writes a state file, so a manifest from stdin needs
/// `--state`. Checks every value again, whatever clap did, so that arguments built by hand are
/// held to the same ranges.
pub fn resolve_api(
    args: &ApiArgs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
    writes_state: bool,
) -> Result<ApiSettings, UsageError> {
    let rate = bounds::RATE.check(args.rate)?;
    let concurrency = match args.concurrency {
        Some(n) => {
            let n = bounds::CONCURRENCY.check(u64::try_from(n).unwrap_or(u64::MAX))?;
            // In range, so it fits.
            usize::try_from(n).unwrap_or(1)
        }
        None => default_concurrency(rate),
    };
    let request_timeout = seconds(&bounds::REQUEST_TIMEOUT, args.request_timeout)?;
    let profile = Profile::choose(args.profile.as_deref(), env, home)?;
    let region = choose_region(args.region.as_deref(), env, &profile);
    check_region(&region, args.allow_unknown_region)?;
    let (service, destination) = service(args, env)?;

    let input = inputs::input(&args.manifest, args.format)?;
    let default_state = default_state(&args.manifest);
    let state = match &args.state {
        Some(s) if s.as_os_str().is_empty() => return Err(UsageError::EmptyState),
        Some(s) if *s == args.manifest => return Err(UsageError::StateIsManifest(s.clone())),
        Some(s) => s.clone(),
        None if input.stdin && writes_state => return Err(UsageError::StdinState),
        None => default_state.clone(),
    };
    // For stdin, the resume command always names the state file.
    let default_state = if input.stdin {
        PathBuf::new()
    } else {
        default_state
    };
    Ok(ApiSettings {
        manifest: args.manifest.clone(),
        input,
        state,
        default_state,
        service,
        profile,
        region,
        rate,
        describe_rate: if rate > 0.0 { rate.min(20.0) } else { 0.0 },
        concurrency,
        request_timeout,
        progress: super::progress(args.progress),
        allow_unknown_region: args.allow_unknown_region,
        destination,
    })
}

/// What the commands that record their work (`run`, `delete`, `task`) resolve from
/// [`ExecArgs`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExecSettings {
    pub max_attempts: u32,
    pub settle: Duration,
    pub max_runtime: Option<Duration>,
    pub adopt_state: bool,
    pub summary_file: Option<PathBuf>,
    pub metrics_file: Option<PathBuf>,
}

/// Resolves [`ExecArgs`], checking every value again as [`resolve_api`] does.
pub fn resolve_exec(args: &ExecArgs) -> Result<ExecSettings, UsageError> {
    let max_attempts = bounds::MAX_ATTEMPTS.check(u64::from(args.max_attempts))?;
    let (summary_file, metrics_file) =
        inputs::outputs(args.summary_file.as_deref(), args.metrics_file.as_deref())?;
    Ok(ExecSettings {
        max_attempts: u32::try_from(max_attempts).unwrap_or(1),
        settle: seconds(&bounds::SETTLE, args.settle)?,
        max_runtime: args
            .max_runtime
            .map(|d| bounds::MAX_RUNTIME.check(d))
            .transpose()?,
        adopt_state: args.adopt_state,
        summary_file,
        metrics_file,
    })
}
