//! A server that echoes the request body in its error messages, in every spelling a server or a
//! log can give it (raw, JSON-escaped with and without `\/` and `\uXXXX`, escaped twice,
//! percent-encoded, upper- and lower-cased, in part), through the binary: no secret of the
//! manifest reaches stderr, the state file (WAL included), any report format, the summary file
//! or the metrics file.

use std::path::Path;

use serde_json::{json, Value};

use super::bin_helpers::{creds, run, s, Sandbox};
use super::rawserver::{response, Parsed, RawServer};

const SECRET_ID: &str = "AKIDbucketEchoTest0042";
/// Quotes, backslashes, a slash and non-ASCII characters: every escape a JSON encoder makes.
const SECRET_KEY: &str = r#"Zq7Xw9Lk3"Mp5\Rt8é密Vb2/Nc4"#;
const PASSWORD: &str = r#"Kf"pw\Yh6Tg4ñ密Jd8/Ws1Qe"#;
const ROWS: usize = 12;

/// `t` as the inside of a JSON string.
fn json_str(t: &str) -> String {
    let q = serde_json::to_string(t).expect("JSON");
    q[1..q.len() - 1].to_owned()
}

/// `t` JSON-escaped with every non-ASCII character as `\uXXXX` (Python's `json.dumps`).
fn ascii_json(t: &str) -> String {
    let mut out = String::new();
    for c in json_str(t).chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for u in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// The answer to a request: an empty listing, or an error that echoes the CreateDataFlow body
/// in the spelling the row's number picks.
fn answer(req: &Parsed) -> Vec<u8> {
    let action = req.all("X-TC-Action").first().copied().unwrap_or("");
    let body = String::from_utf8_lossy(&req.body).into_owned();
    if action == "DescribeDataFlow" {
        let listing =
            json!({"Response": {"TotalCount": 0, "DataFlows": [], "RequestId": "list-1"}});
        return response(
            "200 OK",
            &[("Content-Type", "application/json")],
            &listing.to_string(),
        );
    }
    let sent: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let row: usize = sent["TargetPath"]
        .as_str()
        .and_then(|p| p.strip_prefix("/cfs/e"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let key = sent["SecretKey"].as_str().unwrap_or("");
    let pw = sent["Password"].as_str().unwrap_or("");
    let middle: String = key.chars().skip(3).take(10).collect();
    let percent: String = body.bytes().map(|b| format!("%{b:02X}")).collect();
    let mut code = "InvalidParameterValue".to_owned();
    let mut request_id = format!("req-{row}");
    let message = match row {
        0 => format!("SecretKey {key} and Password {pw} refused"),
        1 => format!("bad request body {body}"),
        2 => format!("bad request body {}", body.replace('/', "\\/")),
        3 => format!("bad request body {}", ascii_json(&body)),
        4 => format!("bad request body {}", json_str(&body)),
        5 => format!("BAD REQUEST BODY {}", body.to_uppercase()),
        6 => format!("bad request body {}", body.to_lowercase()),
        7 => format!("key ...{middle}... is not valid"),
        8 => format!("body={percent}"),
        9 => format!("password {} refused", pw.to_uppercase()),
        10 => {
            request_id = body.clone();
            "see the request id".to_owned()
        }
        _ => {
            code = format!("InvalidParameterValue.{middle}");
            "see the code".to_owned()
        }
    };
    let answer = json!({"Response": {
        "Error": {"Code": code, "Message": message},
        "RequestId": request_id,
    }});
    response(
        "200 OK",
        &[("Content-Type", "application/json")],
        &answer.to_string(),
    )
}

/// A JSON Lines manifest of [`ROWS`] rows with the secrets and Kafka settings.
fn manifest(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("echo.jsonl");
    let rows: Vec<String> = (0..ROWS)
        .map(|i| {
            json!({
                "FileSystemId": "cfs-echo0001",
                "SourceStorageType": "S3_COS",
                "SourceStorageAddress": "https://b-1251000004.cos.ap-guangzhou.myqcloud.com",
                "SourcePath": format!("data/{i}"),
                "TargetPath": format!("/cfs/e{i}"),
                "SecretId": SECRET_ID,
                "SecretKey": SECRET_KEY,
                "UserKafkaTopic": "topic-a",
                "ServerAddr": "10.0.0.1:9092",
                "UserName": "kafka-user",
                "Password": PASSWORD,
                "Region": "ap-guangzhou",
            })
            .to_string()
        })
        .collect();
    std::fs::write(&path, rows.join("\n") + "\n").expect("manifest");
    path
}

/// Every run of eight characters of each secret, as written and JSON-escaped, lower-cased.
fn secret_runs() -> Vec<String> {
    let mut runs = Vec::new();
    for secret in [SECRET_ID, SECRET_KEY, PASSWORD] {
        for spelled in [secret.to_owned(), json_str(secret), ascii_json(secret)] {
            let chars: Vec<char> = spelled.to_lowercase().chars().collect();
            runs.extend(chars.windows(8).map(|w| w.iter().collect::<String>()));
        }
    }
    runs
}

#[track_caller]
fn assert_no_secret(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes).to_lowercase();
    for run in secret_runs() {
        assert!(
            !text.contains(&run),
            "{what} holds {run:?} of a secret:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_echoed_in_any_spelling_reach_no_output() {
    let server = RawServer::answering(answer).await;
    let sb = Sandbox::new();
    let manifest = manifest(sb.path());
    let state = sb.path().join("echo.db");
    let summary = sb.path().join("summary.json");
    let metrics = sb.path().join("echo.prom");
    let args: Vec<String> = [
        "-v",
        "run",
        s(&manifest),
        "--state",
        s(&state),
        "--endpoint",
        &server.url(),
        "--summary-file",
        s(&summary),
        "--metrics-file",
        s(&metrics),
    ]
    .map(str::to_owned)
    .to_vec();
    let home = sb.home.clone();
    let out = tokio::task::spawn_blocking(move || run(&args, &creds(), &home))
        .await
        .expect("the run");
    out.expect_code(1);
    assert!(
        out.stderr.contains("quoted a secret sent with the call"),
        "{}",
        out.stderr
    );
    assert_eq!(
        server.requests().len(),
        ROWS + 1,
        "one listing, one create per row"
    );
    assert_no_secret("stderr", &out.raw);
    for file in [&summary, &metrics] {
        assert_no_secret(s(file), &std::fs::read(file).expect("written"));
    }
    for ext in ["", "-wal", "-shm"] {
        let path = format!("{}{ext}", s(&state));
        if let Ok(bytes) = std::fs::read(&path) {
            assert_no_secret(&path, &bytes);
        }
    }
    let home = sb.home.clone();
    let state_arg = s(&state).to_owned();
    let reports = tokio::task::spawn_blocking(move || {
        ["csv", "jsonl", "html"].map(|format| {
            let args = ["report", "--state", &state_arg, "--format", format];
            (format, run(&args, &[], &home))
        })
    })
    .await
    .expect("the reports");
    for (format, report) in reports {
        report.expect_code(0);
        assert!(report.stdout.contains("cfs-echo0001"), "{format}");
        assert_no_secret(format, &report.raw);
    }
}
