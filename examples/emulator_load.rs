//! Load test of the emulator: N signed CreateDataFlow calls (distinct target paths) over K
//! keep-alive connections, with the emulator in-process, unlimited and fault-free.
//!
//! `cargo run --release --example emulator_load -- [N] [K]` (defaults 20000 calls, 16 connections)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bulkflow::api::sign::{authorization, SignInput};
use bulkflow::emulator::{Emulator, EmulatorConfig, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(20_000);
    let k: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(16);
    let emu = Emulator::start(EmulatorConfig {
        rate: 0,
        ..EmulatorConfig::default()
    })?;
    let url = emu.url();
    let host = emu.addr().to_string();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(k as usize)
        .timeout(Duration::from_secs(30))
        .build()?;
    let next = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..k {
        let (client, url, host) = (client.clone(), url.clone(), host.clone());
        let (next, failures) = (Arc::clone(&next), Arc::clone(&failures));
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                let body = format!(
                    r#"{{"FileSystemId":"cfs-load{}","SourceStorageType":"S3_COS","SourceStorageAddress":"https://bucket-1251000004.cos.ap-guangzhou.myqcloud.com","SourcePath":"/data/","TargetPath":"/cfs/load/{i}","SecretId":"AKIDsource","SecretKey":"source-key"}}"#,
                    i % 8
                );
                let timestamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or_default();
                let auth = authorization(&SignInput {
                    secret_id: DEFAULT_SECRET_ID,
                    secret_key: DEFAULT_SECRET_KEY,
                    service: "cfs",
                    host: &host,
                    content_type: "application/json",
                    timestamp,
                    payload: body.as_bytes(),
                });
                let answer = client
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .header("Authorization", auth)
                    .header("X-TC-Action", "CreateDataFlow")
                    .header("X-TC-Version", "2019-07-19")
                    .header("X-TC-Timestamp", timestamp.to_string())
                    .header("X-TC-Region", "ap-guangzhou")
                    .body(body)
                    .send()
                    .await;
                let ok = match answer {
                    Ok(r) => r
                        .bytes()
                        .await
                        .is_ok_and(|b| b.windows(10).any(|w| w == b"DataFlowId")),
                    Err(_) => false,
                };
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let counters = emu.counters();
    println!(
        "{n} CreateDataFlow calls over {k} connections in {elapsed:.2} s: {:.0} calls/s; \
         {} flows created, {} failed answers",
        n as f64 / elapsed,
        counters.created,
        failures.load(Ordering::Relaxed)
    );
    emu.shutdown();
    Ok(())
}
