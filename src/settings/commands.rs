//! Each command's settings from its flags: the shared option groups (`api`), then the command's
//! own flags, its goal, and the command that resumes it, built once.

use std::path::PathBuf;
use std::time::Duration;

use super::api::{check_region, resolve_api, resolve_exec, ExecSettings};
use super::resume::{Origin, TaskVerb};
use super::{
    choose_region, inputs, ApiSettings, Profile, Resume, Settings, UsageError, ValidateSettings,
    Verb,
};
use crate::api::tasks::TaskType;
use crate::cli::{DeleteArgs, RunArgs, TaskArgs, TaskKind, ValidateArgs};
use crate::engine::{Goal, Pacing, TaskAction};

/// How long `--wait` waits when `--wait-timeout` does not say.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The wait of `--wait` and `--wait-timeout`: none without `--wait` (then `--wait-timeout` is a
/// usage error, as it would be ignored), else the timeout or [`DEFAULT_WAIT_TIMEOUT`].
pub fn wait(wait: bool, timeout: Option<Duration>) -> Result<Option<Duration>, UsageError> {
    match (wait, timeout) {
        (false, Some(_)) => Err(UsageError::WaitTimeoutAlone),
        (false, None) => Ok(None),
        (true, t) => Ok(Some(t.unwrap_or(DEFAULT_WAIT_TIMEOUT))),
    }
}

/// The resume command of `verb` run with `api` and `exec`: the one place it is built, for
/// `run`, `delete` and `task` alike.
pub fn resume_command(verb: &Verb, api: &ApiSettings, exec: Option<&ExecSettings>) -> Resume {
    let origin = Origin {
        manifest: &api.input.manifest,
        format: api.input.format.map(|f| match f {
            crate::manifest::Format::Csv => "csv",
            crate::manifest::Format::Jsonl => "jsonl",
        }),
        state: &api.state,
        default_state: &api.default_state,
        destination: api.destination.clone(),
        region: &api.region,
        profile: api.profile.explicit.then_some(api.profile.name.as_str()),
        allow_unknown_region: api.allow_unknown_region,
        rate: api.rate,
        concurrency: api.concurrency,
        request_timeout: api.request_timeout,
        max_attempts: exec.map(|e| e.max_attempts),
        settle: exec.map(|e| e.settle),
    };
    Resume::new(verb, &origin)
}

/// The settings of a command that records its work, from its API and exec options.
fn settings(api: ApiSettings, exec: ExecSettings, verb: Verb, goal: Goal) -> Settings {
    let resume = resume_command(&verb, &api, Some(&exec));
    Settings {
        pacing: Pacing {
            rate: api.rate,
            describe_rate: api.describe_rate,
            concurrency: api.concurrency,
            max_attempts: exec.max_attempts,
            request_timeout: api.request_timeout,
            settle: exec.settle,
        },
        manifest: api.manifest,
        input: api.input,
        state: api.state,
        default_state: api.default_state,
        service: api.service,
        profile: api.profile,
        region: api.region,
        retry_failed: false,
        dry_run: false,
        max_runtime: exec.max_runtime,
        progress: api.progress,
        goal,
        tasks: Vec::new(),
        stop_tasks: false,
        json: false,
        summary_file: exec.summary_file,
        metrics_file: exec.metrics_file,
        allow_unknown_region: api.allow_unknown_region,
        adopt_state: exec.adopt_state,
        resume,
    }
}

/// Resolves `run`'s flags: the API options as [`resolve_api`] does, then run's own.
pub fn resolve(
    args: &RunArgs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
) -> Result<Settings, UsageError> {
    // A dry run writes no state; it only needs a name.
    let api = resolve_api(&args.api, env, home, !args.dry_run)?;
    let exec = resolve_exec(&args.exec)?;
    let wait = wait(args.wait, args.wait_timeout)?;
    let verb = Verb::Run {
        retry_failed: args.retry_failed,
        update: args.update,
        rotate_keys: args.rotate_keys,
        wait,
        tasks: args.task.iter().map(|&k| kind_name(k)).collect(),
    };
    let goal = Goal::Create {
        update: args.update,
        rotate: args.rotate_keys,
        wait,
    };
    Ok(Settings {
        retry_failed: args.retry_failed,
        dry_run: args.dry_run,
        json: args.json,
        tasks: args.task.iter().map(|&k| task_type(k)).collect(),
        ..settings(api, exec, verb, goal)
    })
}

/// Resolves `delete`'s flags: the API options as for `run`, and the delete's own.
pub fn resolve_delete(
    args: &DeleteArgs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
) -> Result<Settings, UsageError> {
    let api = resolve_api(&args.api, env, home, !args.dry_run)?;
    let exec = resolve_exec(&args.exec)?;
    let verb = Verb::Delete {
        yes: args.yes,
        stop_tasks: args.stop_tasks,
    };
    Ok(Settings {
        dry_run: args.dry_run,
        stop_tasks: args.stop_tasks,
        ..settings(api, exec, verb, Goal::Delete)
    })
}

/// Resolves `task`'s flags: the API options as for `run`, the task's own, and its goal.
pub fn resolve_task(
    args: &TaskArgs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
) -> Result<Settings, UsageError> {
    let api = resolve_api(&args.api, env, home, true)?;
    let exec = resolve_exec(&args.exec)?;
    let wait = wait(args.wait, args.wait_timeout)?;
    let (action, verb) = match (args.stop, args.kind) {
        (true, kind) => (
            TaskAction::Stop {
                kinds: kind.map(task_type).into_iter().collect(),
            },
            TaskVerb::Stop {
                kind: kind.map(kind_name),
                wait,
            },
        ),
        (false, Some(kind)) => (
            TaskAction::Start {
                kind: task_type(kind),
                overwrite: args.overwrite,
                again: args.again,
            },
            TaskVerb::Start {
                kind: kind_name(kind),
                overwrite: args.overwrite,
                again: args.again,
                retry_failed: args.retry_failed,
                wait,
            },
        ),
        (false, None) => return Err(UsageError::TaskType),
    };
    Ok(Settings {
        retry_failed: args.retry_failed,
        ..settings(api, exec, Verb::Task(verb), Goal::Task { action, wait })
    })
}

/// The API's data task type of the flag's value.
pub fn task_type(kind: TaskKind) -> TaskType {
    match kind {
        TaskKind::Metaload => TaskType::Metaload,
        TaskKind::Restore => TaskType::Restore,
        TaskKind::Release => TaskType::Release,
        TaskKind::Archive => TaskType::Archive,
    }
}

/// The flag's value as typed: `metaload`, `restore`, `release`, `archive`.
fn kind_name(kind: TaskKind) -> String {
    use clap::ValueEnum;
    kind.to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

/// Resolves `validate`'s flags: the region exactly as [`resolve`] chooses it for `run`.
pub fn resolve_validate(
    args: &ValidateArgs,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<PathBuf>,
) -> Result<ValidateSettings, UsageError> {
    let profile = Profile::choose(args.profile.as_deref(), env, home)?;
    let region = choose_region(args.region.as_deref(), env, &profile);
    check_region(&region, args.allow_unknown_region)?;
    Ok(ValidateSettings {
        manifest: args.manifest.clone(),
        input: inputs::input(&args.manifest, args.format)?,
        json: args.json,
        profile,
        region,
        allow_unknown_region: args.allow_unknown_region,
    })
}
