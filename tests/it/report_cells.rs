//! `report` CSV under formula injection: a server whose error code, message and request id are
//! spreadsheet formulas, and a manifest whose names start with `-`. In CSV each such text cell
//! starts with a `'`; numbers are left alone; JSON Lines carries the text as it came.

use serde_json::{json, Value};

use super::bin_helpers::{creds, run, s, Sandbox};
use super::rawserver::{response, Parsed, RawServer};

const CODE: &str = "=HYPERLINK(\"http://evil.example/x\",\"click\")";
const MESSAGE: &str = "-2+3+cmd|' /C calc'!A0";
const REQUEST_ID: &str = "@SUM(1+1)*cmd|' /C calc'!A0";

fn answer(req: &Parsed) -> Vec<u8> {
    let listing = req.all("X-TC-Action").first() == Some(&"DescribeDataFlow");
    let body = if listing {
        json!({"Response": {"TotalCount": 0, "DataFlows": [], "RequestId": "+list"}})
    } else {
        json!({"Response": {"Error": {"Code": CODE, "Message": MESSAGE}, "RequestId": REQUEST_ID}})
    };
    response(
        "200 OK",
        &[("Content-Type", "application/json")],
        &body.to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_cells_a_spreadsheet_would_run_start_with_a_quote() {
    let server = RawServer::answering(answer).await;
    let sb = Sandbox::new();
    let manifest = sb.path().join("cells.csv");
    std::fs::write(
        &manifest,
        "FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,SecretId,SecretKey,DataFlowName,Region\n\
         cfs-cells001,S3_COS,https://b-1251000004.cos.ap-guangzhou.myqcloud.com,data/a,/cfs/a,AKIDcells,cells-key-1,-flow_a,ap-guangzhou\n",
    )
    .expect("manifest");
    let state = sb.path().join("cells.db");
    let (home, state_arg, url) = (sb.home.clone(), s(&state).to_owned(), server.url());
    let manifest_arg = s(&manifest).to_owned();
    let (csv, jsonl) = tokio::task::spawn_blocking(move || {
        let args = [
            "run",
            &manifest_arg,
            "--state",
            &state_arg,
            "--endpoint",
            &url,
        ];
        run(&args, &creds(), &home).expect_code(1);
        let report = |format: &str| {
            let out = run(
                &["report", "--state", &state_arg, "--format", format],
                &[],
                &home,
            );
            out.expect_code(0);
            out.stdout
        };
        (report("csv"), report("jsonl"))
    })
    .await
    .expect("the run");

    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().expect("header").clone();
    let row = reader.records().next().expect("a row").expect("CSV");
    let cell = |name: &str| {
        let i = header.iter().position(|h| h == name).expect(name);
        row.get(i).unwrap_or_default().to_owned()
    };
    assert_eq!(cell("error_code"), format!("'{CODE}"));
    assert_eq!(cell("error_message"), format!("'{MESSAGE}"));
    assert_eq!(cell("request_id"), format!("'{REQUEST_ID}"));
    assert_eq!(cell("data_flow_name"), "'-flow_a");
    assert_eq!((cell("line"), cell("attempts")), ("2".into(), "1".into()));
    assert_eq!(cell("state"), "failed");

    let v: Value = serde_json::from_str(jsonl.lines().next().expect("a line")).expect("JSON");
    assert_eq!(
        (&v["error_code"], &v["error_message"], &v["data_flow_name"]),
        (&json!(CODE), &json!(MESSAGE), &json!("-flow_a"))
    );
}
