//! `bulkflow emulator`: its flags, and running it until a signal.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::secret::Secret;

use super::config::{EmulatorConfig, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};
use super::preexisting::{self, PreexistingError};
use super::server::serve;
use super::shared::Shared;

/// Serve a local CFS API emulator (CreateDataFlow, DescribeDataFlow, DeleteDataFlow,
/// ModifyDataFlow) for rehearsals and tests.
// The key and token are `Secret`s, so neither `Debug` nor `--help` ever shows them.
#[derive(clap::Args, Debug, Clone)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The secret id requests must be signed with [default: AKIDbulkflowEMULATOR]. Only the
    /// flag sets it: TENCENTCLOUD_SECRET_ID, _KEY and _TOKEN are not read, so that real keys
    /// exported in the shell never change what a rehearsal must sign with.
    #[arg(long, value_name = "ID")]
    pub secret_id: Option<String>,
    /// The secret key requests must be signed with [default: a fixed emulator key].
    #[arg(long, value_name = "KEY", value_parser = parse_secret)]
    pub secret_key: Option<Secret>,
    /// When set, X-TC-Token must equal it.
    #[arg(long, value_name = "TOKEN", value_parser = parse_secret)]
    pub token: Option<Secret>,
    /// How long the temporary credentials it issues as the CVM metadata service
    /// (GET /latest/meta-data/cam/security-credentials/) and STS (AssumeRole,
    /// AssumeRoleWithWebIdentity) live; calls signed with expired ones are answered
    /// AuthFailure.TokenFailure.
    #[arg(long, value_name = "SECS", default_value_t = 7200, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub token_ttl: u64,
    /// Calls per action over any sliding second; 0 means no limit.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub rate: u32,
    /// Latency added to every call, uniform between MIN and MAX milliseconds (or one value N).
    #[arg(long, value_name = "MIN:MAX", value_parser = parse_latency, default_value = "0:0")]
    pub latency_ms: (u64, u64),
    /// Probability that a call answers InternalError without acting.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub internal_error: f64,
    /// Probability that a create, delete or modify acts, then drops the connection unanswered.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub lost_response: f64,
    /// Probability that a create, delete or modify never answers; it acts after the client gives
    /// up.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub late_create: f64,
    /// How long after the client gave up a late call acts.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub late_create_delay_ms: u64,
    /// Probability that a DescribeDataFlow drops the connection unanswered.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub lost_listing: f64,
    /// A new flow shows in DescribeDataFlow only N ms after it was created.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub listing_delay_ms: u64,
    /// A new flow's Status is pending for N ms, then available.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub available_after_ms: u64,
    /// Probability that a new flow ends unavailable instead of available.
    #[arg(long, value_name = "P", value_parser = parse_probability, default_value_t = 0.0)]
    pub unavailable: f64,
    /// A deleted flow lists as deleting (its directory still used) for N ms, then disappears.
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub deleting_ms: u64,
    /// Flows that exist before the first call: a CSV or JSONL file with the manifest's column
    /// names, plus optional DataFlowId and Status.
    #[arg(long, value_name = "FILE")]
    pub preexisting: Option<PathBuf>,
    /// Another client's calls per second, drawn from every action's budget.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub background_load: u32,
    /// Most data flows one file system may have.
    #[arg(long, value_name = "N")]
    pub flow_limit: Option<u32>,
    /// The only file systems that exist; others answer ResourceNotFound.FileSystemNotFound.
    #[arg(long, value_name = "ID,ID", value_delimiter = ',')]
    pub file_systems: Option<Vec<String>>,
    /// Seed of every random draw (faults, latency, ids).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
}

impl EmulatorArgs {
    /// The emulator settings these flags describe; reads the `--preexisting` file.
    pub fn config(&self) -> Result<EmulatorConfig, PreexistingError> {
        let preexisting = match &self.preexisting {
            Some(path) => preexisting::load(path)?,
            None => Vec::new(),
        };
        Ok(EmulatorConfig {
            listen: self.listen,
            secret_id: self
                .secret_id
                .clone()
                .unwrap_or_else(|| DEFAULT_SECRET_ID.to_owned()),
            secret_key: self
                .secret_key
                .clone()
                .unwrap_or_else(|| Secret::new(DEFAULT_SECRET_KEY)),
            token: self.token.clone(),
            token_ttl: std::time::Duration::from_secs(self.token_ttl),
            rate: self.rate,
            latency_ms: self.latency_ms,
            internal_error: self.internal_error,
            lost_response: self.lost_response,
            late_create: self.late_create,
            late_create_delay_ms: self.late_create_delay_ms,
            lost_listing: self.lost_listing,
            listing_delay_ms: self.listing_delay_ms,
            available_after_ms: self.available_after_ms,
            unavailable: self.unavailable,
            deleting_ms: self.deleting_ms,
            preexisting,
            background_load: self.background_load,
            flow_limit: self.flow_limit,
            file_systems: self.file_systems.clone(),
            seed: self.seed,
        })
    }
}

fn parse_secret(s: &str) -> Result<Secret, String> {
    Ok(Secret::new(s))
}

/// `P` in `[0, 1]`.
pub(crate) fn parse_probability(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "`{s}` is not a probability from 0 to 1 (e.g. 0.05)"
        )),
    }
}

/// `MIN:MAX` milliseconds with `MIN <= MAX`, or one number for a fixed latency.
pub(crate) fn parse_latency(s: &str) -> Result<(u64, u64), String> {
    let number = |v: &str| {
        v.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{s}` is not MIN:MAX in whole milliseconds (e.g. 20:200)"))
    };
    let (min, max) = match s.split_once(':') {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let n = number(s)?;
            (n, n)
        }
    };
    if min > max {
        return Err(format!("in `{s}`, MIN is greater than MAX"));
    }
    Ok((min, max))
}

/// Runs the emulator until SIGINT or SIGTERM. Prints `listening on http://HOST:PORT` as the
/// first line of stdout. Returns the exit code: 0 after a signal, 2 when it cannot bind or the
/// `--preexisting` file is bad (nothing is served then).
pub fn main(args: EmulatorArgs) -> i32 {
    let shared = match args.config().and_then(Shared::new) {
        Ok(shared) => shared,
        Err(e) => {
            eprintln!("bulkflow emulator: --preexisting {e}");
            return 2;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bulkflow emulator: cannot start the runtime: {e}");
            return 2;
        }
    };
    let code = runtime.block_on(async move {
        let config = shared.config();
        let listener = match tokio::net::TcpListener::bind(config.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("bulkflow emulator: cannot listen on {}: {e}", config.listen);
                return 2;
            }
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("bulkflow emulator: cannot read the bound address: {e}");
                return 2;
            }
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
        drop(out);
        eprintln!(
            "bulkflow emulator: accepting requests signed by secret id {}*** (rate {}/s per action, seed {}), and temporary credentials of {} s from its metadata service and STS",
            config.secret_id.chars().take(4).collect::<String>(),
            config.rate,
            config.seed,
            config.token_ttl.as_secs()
        );
        let stopper = std::sync::Arc::clone(&shared);
        tokio::spawn(async move {
            wait_for_signal().await;
            stopper.shutdown();
        });
        match serve(listener, shared).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("bulkflow emulator: {e}");
                1
            }
        }
    });
    // Connections still open (a late create holds one) are dropped, not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}

/// Resolves on SIGINT or (on Unix) SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    #[test]
    fn flags_parse_and_validate() {
        let cli = Cli::try_parse_from([
            "x",
            "--secret-key",
            "s3cr3t-value",
            "--latency-ms",
            "5:10",
            "--lost-response",
            "0.25",
            "--lost-listing",
            "0.5",
            "--file-systems",
            "cfs-1,cfs-2",
            "--rate",
            "0",
        ])
        .unwrap();
        assert_eq!(cli.args.latency_ms, (5, 10));
        assert_eq!(cli.args.lost_listing, 0.5);
        assert_eq!(
            cli.args.file_systems.as_deref(),
            Some(&["cfs-1".to_owned(), "cfs-2".to_owned()][..])
        );
        assert!(!format!("{:?}", cli.args).contains("s3cr3t-value"));
        let config = cli.args.config().unwrap();
        assert_eq!(config.secret_key.expose(), "s3cr3t-value");
        assert_eq!(config.rate, 0);
        assert_eq!(parse_latency("7"), Ok((7, 7)));
        assert!(parse_latency("10:5")
            .unwrap_err()
            .contains("MIN is greater"));
        assert!(parse_latency("a:b").is_err());
        assert!(parse_probability("1.5").is_err());
        assert!(parse_probability("NaN").is_err());
        assert!(Cli::try_parse_from(["x", "--internal-error", "-0.1"]).is_err());
    }

    #[test]
    fn status_life_flags_and_the_preexisting_file() {
        let cli = Cli::try_parse_from(["x"]).unwrap();
        let config = cli.args.config().unwrap();
        assert_eq!((config.deleting_ms, config.unavailable), (3000, 0.0));
        assert!(config.preexisting.is_empty());

        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("flows.csv");
        std::fs::write(
            &good,
            "FileSystemId,TargetPath,Status\ncfs-1,/cfs/a,pending\n",
        )
        .unwrap();
        let path = good.to_str().unwrap();
        let cli = Cli::try_parse_from([
            "x",
            "--available-after-ms",
            "5",
            "--unavailable",
            "0.5",
            "--deleting-ms",
            "7",
            "--preexisting",
            path,
        ])
        .unwrap();
        let config = cli.args.config().unwrap();
        assert_eq!(
            (
                config.available_after_ms,
                config.unavailable,
                config.deleting_ms
            ),
            (5, 0.5, 7)
        );
        assert_eq!(config.preexisting.len(), 1);
        assert!(Cli::try_parse_from(["x", "--unavailable", "2"]).is_err());

        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "FileSystemId,TargetPath\ncfs-1,/mnt/a\n").unwrap();
        let cli = Cli::try_parse_from(["x", "--preexisting", bad.to_str().unwrap()]).unwrap();
        let err = cli.args.config().unwrap_err().to_string();
        assert!(
            err.ends_with("bad.csv:2: TargetPath: must start with /cfs/"),
            "{err}"
        );
    }

    #[test]
    fn the_keys_are_never_read_from_the_environment() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        for id in ["secret_id", "secret_key", "token"] {
            let arg = cmd.get_arguments().find(|a| a.get_id() == id).unwrap();
            assert_eq!(arg.get_env(), None, "{id}");
        }
    }
}
