//! Issue 21, item 4, through the library against the emulator: a rotation is to the manifest's
//! keys as they are now. Interrupted with keys K1 and resumed after the manifest changed to K2,
//! it rotates again the rows it had set to K1; resumed with the same keys, it sends nothing for
//! the rows it has done. `status` (the last rotation's counts) tells the truth either way.

use std::path::Path;
use std::time::Duration;

use bulkflow::emulator::{Emulator, EmulatorConfig};
use bulkflow::engine::{self, EventSink, Goal, RunSummary};
use bulkflow::store::{self, read};
use tokio_util::sync::CancellationToken;

use super::common::settings;

const ROWS: usize = 40;

/// The manifest of [`ROWS`] rows with the keys `keys`.
fn write(path: &Path, keys: &str) {
    let mut s = String::from(
        "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName,Region\n",
    );
    for i in 0..ROWS {
        let fs = i % 2;
        s.push_str(&format!(
            "cfs-{fs:08x},S3_COS,https://src-{fs}.cos.ap-guangzhou.myqcloud.com,data/{i},/cfs/dir{i:05},AKID{keys}{i},KEY-{keys}-{i},flow_{i},ap-guangzhou\n"
        ));
    }
    std::fs::write(path, s).unwrap();
}

struct Setup {
    _dir: tempfile::TempDir,
    manifest: std::path::PathBuf,
    emu: Emulator,
    config: EmulatorConfig,
}

impl Setup {
    /// Every row created with keys `src`.
    async fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("flows.csv");
        write(&manifest, "src");
        let config = EmulatorConfig {
            rate: 0,
            seed: 4,
            ..EmulatorConfig::default()
        };
        let emu = Emulator::start(config.clone()).unwrap();
        let s = Setup {
            _dir: dir,
            manifest,
            emu,
            config,
        };
        let created = s.run(false, None, 0.0).await;
        assert_eq!(created.exit_code().code(), 0, "{created:?}");
        s
    }

    /// `run` (with `--rotate-keys` if `rotate`) at `rate` calls a second, within `max_runtime`.
    async fn run(&self, rotate: bool, max_runtime: Option<Duration>, rate: f64) -> RunSummary {
        let mut s = settings(&self.emu, &self.config, &self.manifest, rate);
        s.goal = Goal::Create {
            update: false,
            rotate,
            wait: None,
        };
        s.max_runtime = max_runtime;
        engine::run(s, EventSink::none(), CancellationToken::new())
            .await
            .unwrap()
    }

    /// A rotation to `keys` stopped after a second: how many flows it set to them.
    async fn interrupted(&self, keys: &str) -> usize {
        write(&self.manifest, keys);
        let s = self.run(true, Some(Duration::from_secs(1)), 10.0).await;
        assert_eq!(s.exit_code().code(), 4, "{s:?}");
        let n = self.holding(keys);
        assert!(
            n > 0 && n < ROWS,
            "{n} rotated: the stop did not cut the rotation"
        );
        n
    }

    /// Flows whose SecretId is of `keys`.
    fn holding(&self, keys: &str) -> usize {
        let prefix = format!("AKID{keys}");
        self.emu
            .flow_records()
            .iter()
            .filter(|f| f.secret_id.expose().starts_with(&prefix))
            .count()
    }

    /// The last rotation as `status` shows it: rotated of created, finished.
    fn status(&self) -> (u64, u64, bool) {
        let conn = store::open(&self.manifest.with_extension("csv.bulkflow.db"), false).unwrap();
        let r = read::last_rotation(&conn).unwrap().expect("a rotation");
        (r.rotated, r.created, r.finished_at_ms.is_some())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_resumed_with_other_keys_rotates_every_row_to_them() {
    let s = Setup::new().await;
    let first = s.interrupted("one").await;
    let (rotated, created, finished) = s.status();
    assert_eq!(
        (rotated, created, finished),
        (first as u64, ROWS as u64, false)
    );

    write(&s.manifest, "two");
    let before = s.emu.counters().modify_calls;
    let end = s.run(true, None, 100.0).await;
    assert_eq!(end.exit_code().code(), 0, "{end:?}");
    assert_eq!(s.holding("two"), ROWS, "rows left with the older keys");
    assert_eq!(
        s.emu.counters().modify_calls - before,
        ROWS as u64,
        "every row sent once: those at K1 again"
    );
    assert_eq!(s.status(), (ROWS as u64, ROWS as u64, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_resumed_with_the_same_keys_sends_nothing_for_the_rows_it_did() {
    let s = Setup::new().await;
    let first = s.interrupted("one").await;
    let before = s.emu.counters().modify_calls;
    let end = s.run(true, None, 100.0).await;
    assert_eq!(end.exit_code().code(), 0, "{end:?}");
    assert_eq!(s.holding("one"), ROWS);
    assert_eq!(
        s.emu.counters().modify_calls - before,
        (ROWS - first) as u64,
        "only the rows left"
    );
    assert_eq!(s.status(), (ROWS as u64, ROWS as u64, true));
}
