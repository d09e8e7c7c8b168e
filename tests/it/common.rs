//! Shared helpers: manifests in a temp dir, settings aimed at an emulator.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bulkflow::api::{Credentials, Endpoint};
use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::engine::{Pacing, RunSettings};
use bulkflow::manifest::ManifestOptions;
use bulkflow::secret::Secret;
use bulkflow::store::{self, read};

/// Writes a CSV manifest of `n` rows over `file_systems` file systems.
pub fn write_manifest(dir: &Path, n: usize, file_systems: usize) -> PathBuf {
    let path = dir.join("flows.csv");
    let mut s = String::from(
        "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName,Region\n",
    );
    for i in 0..n {
        let fs = i % file_systems.max(1);
        s.push_str(&format!(
            "cfs-{fs:08x},S3_COS,https://src-{fs}.cos.ap-guangzhou.myqcloud.com,data/{i},/cfs/dir{i:05},AKIDsrc{i},SRCKEY-planted-{i},flow_{i},ap-guangzhou\n"
        ));
    }
    std::fs::write(&path, s).unwrap();
    path
}

/// The emulator's credentials, as the runner would have them.
pub fn credentials(config: &EmulatorConfig) -> Credentials {
    Credentials {
        secret_id: config.secret_id.clone(),
        secret_key: Secret::new(config.secret_key.expose()),
        token: None,
        source: "test".into(),
    }
}

/// Settings for a fast run against an emulator.
pub fn settings(
    emu: &Emulator,
    config: &EmulatorConfig,
    manifest: &Path,
    rate: f64,
) -> RunSettings {
    RunSettings {
        tasks: Vec::new(),
        stop_tasks: false,
        manifest: manifest.to_owned(),
        state: manifest.with_extension("csv.bulkflow.db"),
        endpoint: Endpoint::parse(&emu.url()).unwrap(),
        credentials: credentials(config).into(),
        manifest_options: ManifestOptions::with_env(None, |_| None),
        pacing: Pacing {
            rate,
            describe_rate: rate,
            concurrency: 32,
            max_attempts: 8,
            request_timeout: Duration::from_millis(1500),
            settle: Duration::from_millis(300),
        },
        seed: 1,
        retry_failed: false,
        max_runtime: None,
        goal: Default::default(),
    }
}

/// Asserts the guarantee: the emulator holds exactly one flow per row, and the state file has
/// every row `created` with the id the emulator holds for its directory.
pub fn check_state_matches_emulator(state: &std::path::Path, emu: &Emulator, rows: usize) {
    let flows = emu.flows();
    let mut by_dir: HashMap<(String, String), Vec<String>> = HashMap::new();
    for f in &flows {
        by_dir
            .entry((
                f.file_system_id.clone(),
                f.target_path.trim_end_matches('/').to_owned(),
            ))
            .or_default()
            .push(f.data_flow_id.clone());
    }
    assert!(
        by_dir.values().all(|ids| ids.len() == 1),
        "a directory holds two flows"
    );
    assert_eq!(flows.len(), rows, "one flow per row");
    let conn = store::open(state, false).unwrap();
    let mut seen = 0;
    read::for_each_row(&conn, None, |r| {
        assert_eq!(
            r.state, "created",
            "line {}: {} {}",
            r.line, r.error_code, r.error_message
        );
        let ids = &by_dir[&(r.file_system_id.clone(), r.target_path.clone())];
        assert_eq!(ids, &vec![r.data_flow_id.clone()], "line {}", r.line);
        seen += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, rows);
}
