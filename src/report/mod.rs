//! Everything a person or a script reads: progress, logs, the summary, status and the report
//! (CSV, JSON Lines, or one HTML page), the metrics file and the machine-readable outputs.

pub mod bar;
pub mod diag;
pub mod export;
pub mod html;
pub mod html_chart;
pub mod html_runs;
pub mod html_tables;
pub mod html_tasks;
pub mod html_text;
pub mod human;
pub mod json_log;
pub mod logging;
pub mod metrics;
pub mod metrics_text;
pub mod mode;
pub mod output;
pub mod passes;
pub mod plan;
pub mod progress;
pub mod report_file;
pub mod status;
pub mod summary;
pub mod summary_json;
pub mod tally;
pub mod task_status;
pub mod task_summary;
pub mod task_tally;
pub mod validation;
