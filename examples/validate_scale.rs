//! Writes a 1,000,000-row CSV manifest to a temp dir, then times `validate` and a full `read` and
//! prints the peak resident memory. Run in release:
//! `cargo run --release --example validate_scale [ROWS]`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

use bulkflow::manifest::{read, validate, ManifestOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: u64 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1_000_000,
    };
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("scale.csv");
    let mut out = BufWriter::new(File::create(&path)?);
    writeln!(
        out,
        "Region,FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName"
    )?;
    for i in 0..rows {
        let fs = i % 7;
        writeln!(
            out,
            "ap-guangzhou,cfs-{fs:08x},S3_COS,https://migrate-src-1251000004.cos.ap-guangzhou.myqcloud.com,/projects/p{i:07}/,/cfs/projects/p{i:07},AKIDEXAMPLEsource{i:07},${{SRC_KEY}},proj_p{i:07}"
        )?;
    }
    out.flush()?;
    drop(out);
    let size = std::fs::metadata(&path)?.len();
    println!("wrote {rows} rows, {:.1} MB", size as f64 / 1e6);

    let opts = ManifestOptions::with_env(None, |n| (n == "SRC_KEY").then(|| "k".to_owned()));
    let start = Instant::now();
    let plan = validate(&path, &opts)?;
    let took = start.elapsed();
    println!(
        "validate: {} rows in {:.2} s ({:.0} rows/s), {} groups",
        plan.rows,
        took.as_secs_f64(),
        plan.rows as f64 / took.as_secs_f64(),
        plan.per_group.len()
    );

    let start = Instant::now();
    let mut n = 0u64;
    for row in read(&path, &opts)? {
        row?;
        n += 1;
    }
    println!("read: {n} rows in {:.2} s", start.elapsed().as_secs_f64());

    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status
            .lines()
            .filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS"))
        {
            println!("{line}");
        }
    }
    Ok(())
}
