//! A large CSV file is checked in two halves: the result must be the one pass's, whatever lies at
//! the cut. Each manifest is validated whole and split (from 0 bytes on), and compared.

use super::super::validate::{test_counts, validate_split};
use super::super::ManifestError;
use super::{csv_row, opts, write, HEADER};

/// Plan or problems (as lines), whole and split.
fn both(content: &str) -> (String, String) {
    let m = write("m.csv", content);
    let show = |r: Result<super::Plan, ManifestError>| match r {
        Ok(plan) => format!("{plan:?}"),
        Err(ManifestError::Invalid { problems, total }) => {
            let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            format!("{total}: {}", lines.join("\n"))
        }
        Err(e) => format!("error: {e}"),
    };
    (
        show(validate_split(&m.path, &opts(), u64::MAX)),
        show(validate_split(&m.path, &opts(), 0)),
    )
}

fn rows(n: u32) -> Vec<String> {
    (0..n).map(csv_row).collect()
}

#[test]
fn valid_files_plan_the_same() {
    let (reached, _) = test_counts::get();
    for n in [0, 1, 2, 3, 10, 101] {
        let text = format!("{HEADER}\n{}\n", rows(n).join("\n"));
        let (whole, split) = both(&text);
        assert_eq!(whole, split, "{n} rows");
        assert!(whole.starts_with("Plan"), "{whole}");
    }
    assert!(test_counts::get().0 >= reached + 3, "the cut held");
}

#[test]
fn problems_on_both_sides_and_duplicates_across_the_cut_are_all_found() {
    let mut r = rows(40);
    r[3] = r[3].replace("S3_COS", "S3_XYZ");
    r[35] = r[35].replace("/cfs/t35", "/data/t35");
    // Row 30 claims row 2's directory; row 31 row 33's.
    r[30] = csv_row(2);
    r[31] = r[33].clone();
    let (whole, split) = both(&format!("{HEADER}\n{}\n", r.join("\n")));
    assert_eq!(whole, split);
    assert!(whole.starts_with("4: "), "{whole}");
}

#[test]
fn a_quoted_line_end_at_the_cut_falls_back_to_one_pass() {
    let (_, missed) = test_counts::get();
    // Quoted values full of line ends around the middle: the cut lands inside one of them.
    let mut r = rows(20);
    for (i, row) in r.iter_mut().enumerate().take(12).skip(8) {
        let name = format!("\"flow_{i}\n\n\n\"");
        *row = row.replace(&format!("flow_{i}"), &name);
    }
    let (whole, split) = both(&format!("{HEADER}\n{}\n", r.join("\n")));
    assert_eq!(whole, split);
    assert!(whole.starts_with("4: "), "the names are invalid: {whole}");
    assert!(test_counts::get().1 > missed, "the cut did not hold");
}

#[test]
fn crlf_a_bom_blank_lines_and_no_final_line_end_count_lines_the_same() {
    let r = rows(30);
    let mut text = format!("\u{feff}{HEADER}\r\n{}", r.join("\r\n"));
    text = text.replace(&format!("{}\r\n", r[14]), &format!("{}\r\n\r\n\n", r[14]));
    let mut bad = text.clone();
    bad = bad.replace("/cfs/t20", "/cfs/../t20");
    bad = bad.replace("/cfs/t3,", "/cfs/t3/./x,");
    for t in [text, bad] {
        let (whole, split) = both(&t);
        assert_eq!(whole, split);
    }
    // A CR alone ends records too.
    let (whole, split) = both(&format!("{HEADER}\r{}\r", rows(12).join("\r")));
    assert_eq!(whole, split);
}
