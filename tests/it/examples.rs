//! The deployment examples in `examples/` are promises too: the systemd units parse as systemd
//! reads them and start a command bulkflow takes; the Kubernetes CronJob parses as YAML, never
//! runs twice at once, takes its credentials from TKE OIDC and keeps its state on a block
//! volume, and its container's command is one bulkflow takes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bulkflow::cli::{Cli, Command};
use bulkflow::ExitCode;
use clap::Parser;
use yaml_rust2::{Yaml, YamlLoader};

use super::bin_helpers::{run, s, Sandbox};
use super::common::write_manifest;

fn example(path: &str) -> (PathBuf, String) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(path);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (p, text)
}

/// A systemd unit file: sections of `key=value` lines (a key may repeat), comments, and lines
/// continued with a trailing backslash. Anything else is an error.
type Unit = BTreeMap<String, Vec<(String, String)>>;

fn parse_unit(text: &str) -> Result<Unit, String> {
    let mut unit = Unit::new();
    let mut section: Option<String> = None;
    let mut pending = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = format!("{pending}{}", raw.trim());
        pending.clear();
        if let Some(head) = line.strip_suffix('\\') {
            pending = format!("{head} ");
            continue;
        }
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            if unit.insert(name.to_owned(), Vec::new()).is_some() {
                return Err(format!("line {}: section [{name}] twice", n + 1));
            }
            section = Some(name.to_owned());
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: not key=value: {line}", n + 1))?;
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("line {}: bad key {key:?}", n + 1));
        }
        let name = section
            .as_ref()
            .ok_or_else(|| format!("line {}: outside a section", n + 1))?;
        unit.entry(name.clone())
            .or_default()
            .push((key.to_owned(), value.trim().to_owned()));
    }
    if !pending.is_empty() {
        return Err("a continuation at the end of the file".into());
    }
    Ok(unit)
}

fn one<'a>(unit: &'a Unit, section: &str, key: &str) -> &'a str {
    let values: Vec<&str> = unit
        .get(section)
        .unwrap_or_else(|| panic!("no [{section}]"))
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(values.len(), 1, "[{section}] {key}: {values:?}");
    values[0]
}

/// `bulkflow ARGS` as the binary's own parser and settings take them; the settings' resume
/// command is returned, proof that `resolve` accepted every value.
fn accepted(args: &[String]) -> String {
    let argv = std::iter::once("bulkflow".to_owned()).chain(args.iter().cloned());
    let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let Command::Run(run_args) = cli.command else {
        panic!("{args:?}: not `bulkflow run`");
    };
    let settings = bulkflow::settings::resolve(&run_args, &|_| None, None)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    settings.resume.to_string()
}

#[test]
fn the_systemd_units_start_a_command_bulkflow_takes() {
    let (_, service_text) = example("systemd/bulkflow.service");
    let (_, timer_text) = example("systemd/bulkflow.timer");
    let service = parse_unit(&service_text).expect("bulkflow.service");
    let timer = parse_unit(&timer_text).expect("bulkflow.timer");

    assert_eq!(one(&service, "Service", "Type"), "oneshot");
    let exec = one(&service, "Service", "ExecStart");
    let words: Vec<String> = exec.split_whitespace().map(str::to_owned).collect();
    assert!(
        words[0].starts_with('/') && words[0].ends_with("/bulkflow"),
        "{exec}"
    );
    accepted(&words[1..]);
    // Exit 4 is "not finished yet": the unit must not fail on it.
    assert_eq!(
        one(&service, "Service", "SuccessExitStatus"),
        ExitCode::Interrupted.code().to_string()
    );
    // Whatever the run writes is in a writable path.
    let dir = one(&service, "Service", "WorkingDirectory");
    let writable = one(&service, "Service", "ReadWritePaths");
    assert!(writable.split_whitespace().any(|p| p == dir), "{writable}");
    let metrics = words
        .iter()
        .position(|w| w == "--metrics-file")
        .map(|i| words[i + 1].clone())
        .expect("--metrics-file");
    let metrics_dir = Path::new(&metrics).parent().expect("dir");
    assert!(
        writable
            .split_whitespace()
            .any(|p| Path::new(p) == metrics_dir),
        "{writable}"
    );

    assert_eq!(one(&timer, "Timer", "Unit"), "bulkflow.service");
    assert!(!one(&timer, "Timer", "OnCalendar").is_empty());
    assert_eq!(one(&timer, "Install", "WantedBy"), "timers.target");

    // And the same command runs: a dry run of it in a directory with a manifest.
    let sb = Sandbox::new();
    let manifest = write_manifest(sb.path(), 3, 1);
    let mut args: Vec<String> = words[1..].to_vec();
    args[1] = s(&manifest).to_owned();
    args.push("--dry-run".into());
    run(&args, &[], &sb.home).expect_code(0);
}

fn get<'a>(y: &'a Yaml, path: &[&str]) -> &'a Yaml {
    path.iter().fold(y, |y, key| &y[*key])
}

fn text(y: &Yaml) -> &str {
    y.as_str().unwrap_or_else(|| panic!("not a string: {y:?}"))
}

#[test]
fn the_cronjob_never_overlaps_uses_tke_oidc_and_keeps_its_state_on_a_block_volume() {
    let (_, yaml) = example("kubernetes/cronjob.yaml");
    let docs = YamlLoader::load_from_str(&yaml).expect("YAML");
    let of_kind = |kind: &str| {
        docs.iter()
            .find(|d| d["kind"].as_str() == Some(kind))
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    let cron = of_kind("CronJob");
    assert_eq!(text(get(cron, &["spec", "concurrencyPolicy"])), "Forbid");
    let pod = get(cron, &["spec", "jobTemplate", "spec", "template", "spec"]);
    assert_eq!(text(&pod["restartPolicy"]), "Never");
    let container = &pod["containers"][0];
    let command: Vec<&str> = container["command"]
        .as_vec()
        .expect("command")
        .iter()
        .map(text)
        .collect();
    assert_eq!(command.len(), 1);
    assert!(command[0].ends_with("/bulkflow"), "{command:?}");
    let args: Vec<String> = container["args"]
        .as_vec()
        .expect("args")
        .iter()
        .map(|a| text(a).to_owned())
        .collect();
    let resume = accepted(&args);
    assert!(resume.contains("--state /state/"), "{resume}");

    // Credentials: the four variables of TKE OIDC, the token in a projected volume.
    let env: BTreeMap<&str, &str> = container["env"]
        .as_vec()
        .expect("env")
        .iter()
        .map(|e| (text(&e["name"]), e["value"].as_str().unwrap_or("")))
        .collect();
    for var in [
        "TKE_REGION",
        "TKE_PROVIDER_ID",
        "TKE_ROLE_ARN",
        "TKE_WEB_IDENTITY_TOKEN_FILE",
    ] {
        assert!(!env.get(var).unwrap_or(&"").is_empty(), "{var}");
    }
    assert!(
        !env.keys().any(|k| k.starts_with("TENCENTCLOUD_SECRET")),
        "no long-lived key in the pod"
    );
    let mounts = container["volumeMounts"].as_vec().expect("mounts");
    let volumes = pod["volumes"].as_vec().expect("volumes");
    // The volume that holds `path`, by the longest mount path that is its prefix.
    let volume_of = |path: &str| {
        let mount = mounts
            .iter()
            .filter(|m| Path::new(path).starts_with(text(&m["mountPath"])))
            .max_by_key(|m| text(&m["mountPath"]).len())
            .unwrap_or_else(|| panic!("{path} is on no volume"));
        volumes
            .iter()
            .find(|v| v["name"] == mount["name"])
            .unwrap_or_else(|| panic!("no volume {:?}", mount["name"]))
    };
    let token = volume_of(env["TKE_WEB_IDENTITY_TOKEN_FILE"]);
    assert!(
        !token["projected"]["sources"][0]["serviceAccountToken"].is_badvalue(),
        "{token:?}"
    );

    // The state file: on a claim of one node at a time (a block volume), never NFS.
    let state = args
        .iter()
        .position(|a| a == "--state")
        .map(|i| args[i + 1].clone())
        .expect("--state");
    let claim = text(&volume_of(&state)["persistentVolumeClaim"]["claimName"]);
    let pvc = of_kind("PersistentVolumeClaim");
    assert_eq!(text(get(pvc, &["metadata", "name"])), claim);
    let modes: Vec<&str> = get(pvc, &["spec", "accessModes"])
        .as_vec()
        .expect("accessModes")
        .iter()
        .map(text)
        .collect();
    assert_eq!(modes, ["ReadWriteOnce"]);
    // The manifest is on a volume too, and the summary file next to the state.
    assert!(!volume_of(&args[1])["configMap"].is_badvalue());
    let summary = args
        .iter()
        .position(|a| a == "--summary-file")
        .map(|i| args[i + 1].clone())
        .expect("--summary-file");
    assert_eq!(volume_of(&summary), volume_of(&state));
}
