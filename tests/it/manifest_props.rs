//! Property tests over the manifest readers and the validator, through the public functions on
//! files written to a temp dir: (a) arbitrary bytes, (b) structured CSV and JSONL built from a
//! model that knows whether each row is valid, (c) planted secrets that no problem and no `Row`
//! may show. Every case also checks what holds for any input: no panic, each problem is
//! `FILE:LINE: field: message` on one line, with a line inside the file, and `validate` and `read`
//! agree.
//!
//! The default case counts keep this file to a few seconds in a debug build; `PROPTEST_CASES=N`
//! runs each property N times instead.

use std::path::{Path, PathBuf};

use bulkflow::manifest::{read, validate, ManifestError, ManifestOptions, Problem, MAX_PROBLEMS};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// The known fields, by the index the model uses.
const FIELDS: [&str; 14] = [
    "FileSystemId",
    "SourceStorageType",
    "SourceStorageAddress",
    "SourcePath",
    "TargetPath",
    "SecretId",
    "SecretKey",
    "DataFlowName",
    "AutoRefresh",
    "UserKafkaTopic",
    "ServerAddr",
    "UserName",
    "Password",
    "Region",
];
/// Fields 0..REQUIRED are required in every row.
const REQUIRED: usize = 7;
const SECRET_ID: usize = 5;
const SECRET_KEY: usize = 6;
const PASSWORD: usize = 12;
const REGION: usize = 13;

/// Part of every planted secret; nothing else in a generated manifest can contain it.
const MARKER: &str = "PLANTEDxSECRETx";

/// `cases` unless `PROPTEST_CASES` says otherwise; no regression files (this is a test binary,
/// not a crate with a `src` beside it).
fn config(cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    c.failure_persistence = None;
    c
}

/// Options with a fake environment: `SRC_ID` and `SRC_KEY` are set (the key holds the marker).
/// Any well-formed region is taken: the generated ones are random names, and the list of
/// Tencent Cloud regions has its own tests (`api::regions`, `tests/it/wrong_input.rs`).
fn options(default_region: bool) -> ManifestOptions {
    ManifestOptions::with_env(
        default_region.then(|| "ap-guangzhou".to_owned()),
        |name| match name {
            "SRC_ID" => Some("AKIDfromenv".into()),
            "SRC_KEY" => Some(format!("{MARKER}fromenv")),
            _ => None,
        },
    )
    .allowing_unknown_regions(true)
}

/// The start of a manifest, for a failure message.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(3000)]).into_owned();
    if bytes.len() > 3000 {
        format!("{text}... ({} bytes in all)", bytes.len())
    } else {
        text
    }
}

/// A temp dir holding one manifest.
struct Written {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn write(csv: bool, bytes: &[u8]) -> Written {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(if csv { "m.csv" } else { "m.jsonl" });
    std::fs::write(&path, bytes).expect("write the manifest");
    Written { _dir: dir, path }
}

// ---------------------------------------------------------------------------------------------
// What holds for any input

/// What `validate` and `read` made of one file.
struct Outcome {
    /// `validate` accepted the file.
    valid: bool,
    /// Every problem from `validate` and from `read`, displayed.
    texts: Vec<String>,
    /// `Debug` of every row `read` yielded.
    rows: Vec<String>,
    /// The lines of the rows `read` yielded.
    row_lines: Vec<u64>,
}

/// Checks one problem: its file, a line within the file, a known field name, and a one-line
/// display in the documented shape.
fn check_problem(p: &Problem, path: &Path, max_line: u64) -> Result<String, TestCaseError> {
    let text = p.to_string();
    prop_assert_eq!(&p.file, &path.display().to_string());
    prop_assert!(
        (1..=max_line).contains(&p.line),
        "line {} outside 1..={}: {}",
        p.line,
        max_line,
        text
    );
    prop_assert!(
        FIELDS.contains(&p.field.as_str()) || p.field == "header" || p.field == "record",
        "field {:?}",
        p.field
    );
    prop_assert!(!p.message.is_empty(), "{}", text);
    prop_assert_eq!(
        &text,
        &format!("{}:{}: {}: {}", p.file, p.line, p.field, p.message)
    );
    prop_assert!(
        !text.chars().any(char::is_control),
        "a control character in {:?}",
        text
    );
    Ok(text)
}

/// Runs `validate` and `read` on `bytes` and checks what holds for any input.
fn examine(csv: bool, bytes: &[u8], opts: &ManifestOptions) -> Result<Outcome, TestCaseError> {
    let file = write(csv, bytes);
    let path = &file.path;
    let max_line = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let mut out = Outcome {
        valid: false,
        texts: Vec::new(),
        rows: Vec::new(),
        row_lines: Vec::new(),
    };

    let mut validated = Vec::new();
    let mut capped = false;
    let plan = match validate(path, opts) {
        Ok(plan) => {
            out.valid = true;
            Some(plan)
        }
        Err(ManifestError::Invalid { problems, total }) => {
            prop_assert!(!problems.is_empty());
            prop_assert!(problems.len() <= MAX_PROBLEMS);
            prop_assert!(total >= problems.len() as u64);
            capped = total > problems.len() as u64;
            prop_assert!(
                problems.windows(2).all(|w| w[0].line <= w[1].line),
                "problems not in line order"
            );
            for p in &problems {
                out.texts.push(check_problem(p, path, max_line)?);
            }
            validated = problems;
            None
        }
        Err(e) => return Err(TestCaseError::fail(format!("unexpected error: {e}"))),
    };

    let mut read_problems = Vec::new();
    match read(path, opts) {
        Ok(reader) => {
            for item in reader {
                match item {
                    Ok(row) => {
                        prop_assert!((1..=max_line).contains(&row.line));
                        out.row_lines.push(row.line);
                        out.rows.push(format!("{row:?}"));
                    }
                    Err(p) => {
                        out.texts.push(check_problem(&p, path, max_line)?);
                        read_problems.push(p);
                    }
                }
            }
        }
        Err(ManifestError::Invalid { problems, .. }) => {
            prop_assert!(!problems.is_empty());
            for p in &problems {
                out.texts.push(check_problem(p, path, max_line)?);
            }
            read_problems = problems;
            prop_assert!(plan.is_none(), "read refused a file validate accepted");
        }
        Err(e) => return Err(TestCaseError::fail(format!("unexpected error: {e}"))),
    }

    // `validate` and `read` agree: a valid file reads as exactly its rows, and each problem of
    // `read` is one of `validate`'s (when none were left out).
    if let Some(plan) = plan {
        prop_assert!(read_problems.is_empty(), "read found {:?}", read_problems);
        prop_assert_eq!(plan.rows, out.rows.len() as u64);
    } else if !capped {
        for p in &read_problems {
            prop_assert!(validated.contains(p), "validate missed {}", p);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// (a) Arbitrary bytes

/// Bytes of every kind: uniform, from an alphabet of CSV and JSON syntax, and token soups that
/// start with a valid header so that rows get as far as the rules.
fn soup() -> impl Strategy<Value = Vec<u8>> {
    const TOKENS: &[&[u8]] = &[
        b"a",
        b",",
        b"\"",
        b"\"\"",
        b"\n",
        b"\r\n",
        b"\r",
        b"\0",
        b"\xff",
        b"\xc3",
        b"\xef\xbb\xbf",
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b" ",
        b"null",
        b"1",
        b"\\u0000",
        b"\\",
        b"${SRC_KEY}",
        b"${NOPE}",
        b"S3_COS",
        b"/cfs/",
        b"/cfs/x",
        b"cfs-1",
        b"ap-guangzhou",
        b"\"SecretKey\"",
        b"\"FileSystemId\"",
        b"FileSystemId",
        b"Region",
        b"\t",
        "数据".as_bytes(),
    ];
    let header = b"FileSystemId,SourceStorageType,SourceStorageAddress,SourcePath,TargetPath,\
SecretId,SecretKey,Region\n"
        .to_vec();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        prop::collection::vec(prop::sample::select(TOKENS), 0..200).prop_map(|t| t.concat()),
        (
            any::<bool>(),
            prop::collection::vec(prop::sample::select(TOKENS), 0..300)
        )
            .prop_map(move |(with_header, t)| {
                let mut v = if with_header {
                    header.clone()
                } else {
                    Vec::new()
                };
                v.extend(t.concat());
                v
            }),
    ]
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn arbitrary_bytes_give_problems_never_a_panic(
        bytes in soup(),
        csv in any::<bool>(),
        default_region in any::<bool>(),
    ) {
        examine(csv, &bytes, &options(default_region))?;
    }
}

// ---------------------------------------------------------------------------------------------
// (b) Structured manifests from a model

/// A change that makes a row invalid, whatever else the row holds.
#[derive(Debug, Clone)]
enum Mutation {
    /// A required field left empty (CSV), or omitted, null or empty (JSONL).
    Drop(usize),
    BadStorageType,
    BadTargetPath,
    /// A name with a space, or 65 characters long.
    BadName(bool),
    BadAutoRefresh,
    /// A NUL appended to a field; in JSONL escaped (`\u0000`) or raw (invalid JSON).
    Nul(usize, bool),
    /// A byte 0xFF appended to a field.
    InvalidUtf8(usize),
    /// A tab or a line feed appended to a field.
    Control(usize, bool),
    /// `n` bytes appended to a field (more than 4096 in all).
    Huge(usize, usize),
    /// `${NOPE}` for a field.
    MissingVariable(usize),
    /// The file system and target path of an earlier row (none for the first row).
    Duplicate(usize, bool),
    /// CSV: one field more or one fewer; JSONL: a key given twice.
    Ragged(bool),
    /// CSV: a quote opened in the last field and never closed on its line; JSONL: the line cut
    /// short (where depends on the number).
    Unclosed(usize),
    /// A line that is not an object (`[1,2]`, a string, a number, ... or not JSON).
    NotObject(usize),
    /// This many columns or keys more.
    ManyColumns(usize),
    /// JSONL: a boolean, array or object value; CSV: `${NOPE}`.
    WrongType(usize, usize),
}

/// A change to the CSV header that makes the whole file invalid.
#[derive(Debug, Clone)]
enum HeaderDamage {
    /// A column given twice.
    Repeated(usize),
    /// An extra column with an unknown name.
    Unknown,
    /// A required column missing.
    Missing(usize),
    /// This many extra unknown columns.
    Many(usize),
    /// No line end after the header: the first row joins it.
    Merged,
    /// The last column name opens a quote that is never closed.
    Unclosed,
}

/// One row of the model.
#[derive(Debug, Clone)]
struct RowSpec {
    /// Each field's valid value, or `None` when the row leaves it out.
    values: [Option<String>; 14],
    /// Blank lines before the row.
    blank_before: usize,
    /// JSONL: the order of the keys.
    order: Vec<usize>,
    /// JSONL: absent optional fields written as `null`; AutoRefresh written as a number.
    nulls: bool,
    number: bool,
    mutation: Option<Mutation>,
}

/// One manifest of the model.
#[derive(Debug, Clone)]
struct Spec {
    csv: bool,
    rows: Vec<RowSpec>,
    bom: bool,
    crlf: bool,
    final_line_end: bool,
    default_region: bool,
    /// How field names are written: API, snake_case, lower, UPPER, kebab, padded.
    style: usize,
    quote_all: bool,
    /// CSV: which optional columns (7..=12, and Region) the header has, and their order.
    optional: [bool; 7],
    columns_order: Vec<usize>,
    header: Option<HeaderDamage>,
}

/// Text a value may hold: printable, with CSV and JSON syntax, spaces and non-ASCII; never `$`.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ,\"'\\\\{}:;./_=+é数据🚀-]{1,24}"
}

fn name_in(style: usize, field: usize) -> String {
    let api = FIELDS[field];
    let snake: String = api
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
            sep.into_iter()
                .chain(std::iter::once(c.to_ascii_lowercase()))
        })
        .collect();
    match style % 6 {
        0 => api.to_owned(),
        1 => snake,
        2 => api.to_ascii_lowercase(),
        3 => api.to_ascii_uppercase(),
        4 => snake.replace('_', "-"),
        _ => format!(" {api} "),
    }
}

/// A valid row; its target path is `/cfs/t{index}`, so no two rows share a directory.
fn row_spec(index: usize) -> impl Strategy<Value = RowSpec> {
    let required = (
        prop_oneof!["cfs-[a-z0-9]{1,8}", text()],
        prop::sample::select(vec!["S3_COS", "S3_L5"]),
        text(),
        // A bucket path with a `..` segment is refused.
        text().prop_filter("no .. segment", |p| !p.split('/').any(|s| s == "..")),
        // A directory named `.` or `..` is refused.
        (
            prop::option::of(
                "[a-z0-9_.é-]{0,8}".prop_filter("not . or ..", |s| s != "." && s != ".."),
            ),
            any::<bool>(),
        ),
        prop_oneof![3 => "AKID[A-Za-z0-9]{8,32}", 1 => Just("${SRC_ID}".to_owned())],
        prop_oneof![3 => "[A-Za-z0-9+/]{8,40}", 1 => Just("${SRC_KEY}".to_owned())],
    );
    let optional = (
        prop::option::of("[A-Za-z0-9_数据流-]{1,64}"),
        prop::option::of(prop::sample::select(vec!["0", "1"])),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of("[a-z][a-z0-9-]{0,15}"),
    );
    let layout = (
        0..3usize,
        Just((0..14).collect::<Vec<usize>>()).prop_shuffle(),
        any::<bool>(),
        any::<bool>(),
    );
    (required, optional, layout).prop_map(move |(req, opt, layout)| {
        let (fs, kind, addr, src, (suffix, slash), id, key) = req;
        let mut target = format!("/cfs/t{index}");
        if let Some(s) = suffix {
            target.push('/');
            target.push_str(&s);
        }
        if slash {
            target.push('/');
        }
        let values = [
            Some(fs),
            Some(kind.to_owned()),
            Some(addr),
            Some(src),
            Some(target),
            Some(id),
            Some(key),
            opt.0,
            opt.1.map(str::to_owned),
            opt.2,
            opt.3,
            opt.4,
            opt.5,
            opt.6,
        ];
        RowSpec {
            values,
            blank_before: layout.0 / 2,
            order: layout.1,
            nulls: layout.2,
            number: layout.3,
            mutation: None,
        }
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..REQUIRED).prop_map(Mutation::Drop),
        Just(Mutation::BadStorageType),
        Just(Mutation::BadTargetPath),
        any::<bool>().prop_map(Mutation::BadName),
        Just(Mutation::BadAutoRefresh),
        (0..14usize, any::<bool>()).prop_map(|(f, e)| Mutation::Nul(f, e)),
        (0..14usize).prop_map(Mutation::InvalidUtf8),
        (0..14usize, any::<bool>()).prop_map(|(f, lf)| Mutation::Control(f, lf)),
        (
            0..14usize,
            prop_oneof![4097..5000usize, 65_536..70_000usize]
        )
            .prop_map(|(f, n)| Mutation::Huge(f, n)),
        (0..14usize).prop_map(Mutation::MissingVariable),
        (any::<usize>(), any::<bool>()).prop_map(|(r, s)| Mutation::Duplicate(r, s)),
        any::<bool>().prop_map(Mutation::Ragged),
        (0..14usize).prop_map(Mutation::Unclosed),
        (0..6usize).prop_map(Mutation::NotObject),
        prop_oneof![65..80usize, Just(1000usize)].prop_map(Mutation::ManyColumns),
        (0..14usize, 0..3usize).prop_map(|(f, k)| Mutation::WrongType(f, k)),
    ]
}

fn header_damage() -> impl Strategy<Value = HeaderDamage> {
    prop_oneof![
        (0..REQUIRED).prop_map(HeaderDamage::Repeated),
        Just(HeaderDamage::Unknown),
        (0..REQUIRED).prop_map(HeaderDamage::Missing),
        prop_oneof![60..70usize, Just(1000usize)].prop_map(HeaderDamage::Many),
        Just(HeaderDamage::Merged),
        Just(HeaderDamage::Unclosed),
    ]
}

/// A manifest of up to `max_rows` rows; each row is mutated with probability `damage` in 8, and
/// a CSV header with probability `header` in 16.
fn spec(max_rows: usize, damage: u32, header: u32) -> impl Strategy<Value = Spec> {
    (0..=max_rows)
        .prop_flat_map(move |n| {
            let rows: Vec<_> = (0..n)
                .map(|i| {
                    (
                        row_spec(i),
                        prop::option::weighted(f64::from(damage) / 8.0, mutation()),
                    )
                        .prop_map(|(mut r, m)| {
                            r.mutation = m;
                            r
                        })
                })
                .collect();
            let layout = (
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
                0..6usize,
                any::<bool>(),
            );
            (
                rows,
                layout,
                any::<[bool; 7]>(),
                Just((0..14).collect::<Vec<usize>>()).prop_shuffle(),
                prop::option::weighted(f64::from(header) / 16.0, header_damage()),
            )
        })
        .prop_map(|(rows, layout, optional, columns_order, header)| {
            let (csv, bom, crlf, final_line_end, default_region, style, quote_all) = layout;
            Spec {
                csv,
                rows,
                bom,
                crlf,
                final_line_end,
                default_region,
                style,
                quote_all,
                optional,
                columns_order,
                header: if csv { header } else { None },
            }
        })
        .prop_map(normalize)
}

/// Drops what the model cannot mutate: a duplicate for the first row, a header merge with no
/// row to merge.
fn normalize(mut spec: Spec) -> Spec {
    if let Some(first) = spec.rows.first_mut() {
        if matches!(first.mutation, Some(Mutation::Duplicate(..))) {
            first.mutation = None;
        }
    }
    if spec.rows.is_empty() && matches!(spec.header, Some(HeaderDamage::Merged)) {
        spec.header = None;
    }
    spec
}

impl Spec {
    /// The CSV columns, in order: required fields, the optional ones chosen, and Region (always
    /// when there is no default region).
    fn columns(&self) -> Vec<usize> {
        self.columns_order
            .iter()
            .copied()
            .filter(|&f| match f {
                f if f < REQUIRED => true,
                REGION => self.optional[6] || !self.default_region,
                f => self.optional[f - REQUIRED],
            })
            .collect()
    }

    /// True when the model says `validate` must accept the file.
    fn valid(&self) -> bool {
        self.header.is_none()
            && self.rows.iter().all(|r| {
                r.mutation.is_none() && (r.values[REGION].is_some() || self.default_region)
            })
    }

    /// True when every row keeps its own lines (no quote left open, no header merge), so rows
    /// can be matched to what `read` yields.
    fn rows_line_up(&self) -> bool {
        self.header.is_none()
            && !self
                .rows
                .iter()
                .any(|r| matches!(r.mutation, Some(Mutation::Unclosed(_))))
    }
}

/// A value as rendered: text, raw bytes inside a JSON string, or a JSON value of another type.
#[derive(Debug, Clone)]
enum Val {
    Text(String),
    Raw(Vec<u8>),
    Json(&'static str),
}

/// The values of a row with its mutation applied (all but the shape changes). `present` says
/// which fields a CSV row can carry; a mutation of another field goes to a required one.
fn mutated(spec: &Spec, index: usize, present: &dyn Fn(usize) -> bool) -> Vec<Option<Val>> {
    let row = &spec.rows[index];
    let mut v: Vec<Option<Val>> = row
        .values
        .iter()
        .enumerate()
        .map(|(f, x)| x.clone().filter(|_| present(f)).map(Val::Text))
        .collect();
    let at = |f: usize| if present(f) { f } else { f % REQUIRED };
    let text_of = |v: &[Option<Val>], f: usize| match &v[f] {
        Some(Val::Text(t)) => t.clone(),
        _ => "v".to_owned(),
    };
    let Some(m) = &row.mutation else { return v };
    match *m {
        Mutation::Drop(f) => v[f] = None,
        Mutation::BadStorageType => v[1] = Some(Val::Text("S3_XYZ".into())),
        Mutation::BadTargetPath => v[4] = Some(Val::Text(format!("/data/t{index}"))),
        Mutation::BadName(long) => {
            let f = at(7);
            let bad = if long {
                "a".repeat(65)
            } else {
                "my flow".into()
            };
            v[f] = Some(Val::Text(if f == 7 { bad } else { "${NOPE}".into() }));
        }
        Mutation::BadAutoRefresh => {
            let f = at(8);
            v[f] = Some(Val::Text(if f == 8 {
                "2".into()
            } else {
                "${NOPE}".into()
            }));
        }
        Mutation::Nul(f, escaped) => {
            let f = at(f);
            let t = text_of(&v, f);
            v[f] = Some(if escaped || spec.csv {
                Val::Text(format!("{t}\0"))
            } else {
                Val::Raw(format!("{t}\0").into_bytes())
            });
        }
        Mutation::InvalidUtf8(f) => {
            let f = at(f);
            let mut b = text_of(&v, f).into_bytes();
            b.push(0xFF);
            v[f] = Some(Val::Raw(b));
        }
        Mutation::Control(f, lf) => {
            let f = at(f);
            let t = text_of(&v, f);
            v[f] = Some(Val::Text(format!("{t}{}", if lf { '\n' } else { '\t' })));
        }
        Mutation::Huge(f, n) => {
            let f = at(f);
            let t = text_of(&v, f);
            v[f] = Some(Val::Text(format!("{t}{}", "h".repeat(n))));
        }
        Mutation::MissingVariable(f) => v[at(f)] = Some(Val::Text("${NOPE}".into())),
        Mutation::Duplicate(r, slash) => {
            let earlier = &spec.rows[r % index].values;
            v[0] = earlier[0].clone().map(Val::Text);
            let target = earlier[4].clone().unwrap_or_default();
            v[4] = Some(Val::Text(if slash { format!("{target}/") } else { target }));
        }
        Mutation::WrongType(f, k) => {
            let f = at(f);
            v[f] = Some(if spec.csv {
                Val::Text("${NOPE}".into())
            } else {
                Val::Json(["true", "[1]", "{\"a\":1}"][k])
            });
        }
        Mutation::Ragged(_)
        | Mutation::Unclosed(_)
        | Mutation::NotObject(_)
        | Mutation::ManyColumns(_) => {}
    }
    v
}

/// One CSV field, quoted when it must be (or always, with `quote_all`).
fn csv_field(out: &mut Vec<u8>, v: &[u8], quote_all: bool) {
    let needs = quote_all || v.iter().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !needs {
        out.extend_from_slice(v);
        return;
    }
    out.push(b'"');
    for &b in v {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn val_bytes(v: &Option<Val>) -> Vec<u8> {
    match v {
        None => Vec::new(),
        Some(Val::Text(t)) => t.clone().into_bytes(),
        Some(Val::Raw(b)) => b.clone(),
        Some(Val::Json(j)) => j.as_bytes().to_vec(),
    }
}

/// The manifest's bytes and the line each row starts on.
fn render(spec: &Spec) -> (Vec<u8>, Vec<u64>) {
    let eol: &[u8] = if spec.crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    if spec.bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let columns = spec.columns();
    let mut extra_cells: Vec<Vec<u8>> = Vec::new();
    let mut cols = columns.clone();
    if spec.csv {
        let mut names: Vec<Vec<u8>> = columns
            .iter()
            .map(|&f| name_in(spec.style, f).into_bytes())
            .collect();
        match &spec.header {
            Some(HeaderDamage::Repeated(f)) => {
                names.push(name_in(spec.style + 1, *f).into_bytes());
                cols.push(*f);
            }
            Some(HeaderDamage::Unknown) => {
                names.push(b"Colour".to_vec());
                extra_cells.push(b"red".to_vec());
            }
            Some(HeaderDamage::Missing(f)) => {
                let i = cols.iter().position(|c| c == f).unwrap_or(0);
                names.remove(i);
                cols.remove(i);
            }
            Some(HeaderDamage::Many(n)) => {
                for j in 0..*n {
                    names.push(format!("Extra{j}").into_bytes());
                    extra_cells.push(b"x".to_vec());
                }
            }
            Some(HeaderDamage::Merged | HeaderDamage::Unclosed) | None => {}
        }
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let last = i + 1 == names.len();
            if last && matches!(spec.header, Some(HeaderDamage::Unclosed)) {
                out.push(b'"');
                out.extend_from_slice(n);
            } else {
                csv_field(&mut out, n, spec.quote_all);
            }
        }
        if !matches!(spec.header, Some(HeaderDamage::Merged)) {
            out.extend_from_slice(eol);
        }
    }
    let mut starts = Vec::new();
    for (i, row) in spec.rows.iter().enumerate() {
        for _ in 0..row.blank_before {
            if i > 0 || !spec.csv || !matches!(spec.header, Some(HeaderDamage::Merged)) {
                out.extend_from_slice(eol);
            }
        }
        starts.push(out.iter().filter(|&&b| b == b'\n').count() as u64 + 1);
        let line = if spec.csv {
            let present = |f: usize| columns.contains(&f);
            csv_line(spec, i, &cols, &extra_cells, &present)
        } else {
            jsonl_line(spec, i)
        };
        out.extend_from_slice(&line);
        if i + 1 < spec.rows.len() || spec.final_line_end {
            out.extend_from_slice(eol);
        }
    }
    (out, starts)
}

fn csv_line(
    spec: &Spec,
    index: usize,
    cols: &[usize],
    extra: &[Vec<u8>],
    present: &dyn Fn(usize) -> bool,
) -> Vec<u8> {
    let row = &spec.rows[index];
    if let Some(Mutation::NotObject(_)) = row.mutation {
        return b"[1,2]".to_vec();
    }
    let v = mutated(spec, index, present);
    let mut cells: Vec<Vec<u8>> = cols.iter().map(|&f| val_bytes(&v[f])).collect();
    cells.extend(extra.iter().cloned());
    let mut open_at = None;
    match row.mutation {
        Some(Mutation::Ragged(true)) => cells.push(b"x".to_vec()),
        Some(Mutation::Ragged(false)) => {
            cells.pop();
        }
        Some(Mutation::ManyColumns(n)) => cells.extend((0..n).map(|_| b"x".to_vec())),
        // In the last cell, so that no later quote on the line closes it.
        Some(Mutation::Unclosed(_)) => open_at = Some(cells.len() - 1),
        _ => {}
    }
    let mut out = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if open_at == Some(i) {
            out.push(b'"');
            out.extend(cell.iter().filter(|&&b| b != b'"'));
        } else {
            csv_field(&mut out, cell, spec.quote_all);
        }
    }
    out
}

fn jsonl_line(spec: &Spec, index: usize) -> Vec<u8> {
    let row = &spec.rows[index];
    if let Some(Mutation::NotObject(k)) = row.mutation {
        let lines = [
            "[1,2]",
            "\"a string\"",
            "42",
            "null",
            "true",
            "{FileSystemId: cfs}",
        ];
        return lines[k].as_bytes().to_vec();
    }
    let v = mutated(spec, index, &|_| true);
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for &f in &row.order {
        let key = name_in(spec.style, f);
        let value = match &v[f] {
            None if row.nulls && f >= REQUIRED => b"null".to_vec(),
            None if matches!(row.mutation, Some(Mutation::Drop(d)) if d == f) => match index % 3 {
                0 => continue,
                1 => b"null".to_vec(),
                _ => b"\"\"".to_vec(),
            },
            None => continue,
            Some(Val::Text(t)) if f == 8 && row.number && (t == "0" || t == "1") => {
                t.clone().into_bytes()
            }
            Some(Val::Text(t)) => serde_json::to_vec(t).expect("a string"),
            Some(Val::Raw(b)) => [b"\"".as_slice(), b, b"\""].concat(),
            Some(Val::Json(j)) => j.as_bytes().to_vec(),
        };
        entries.push((key, value));
    }
    match row.mutation {
        Some(Mutation::Ragged(_)) => {
            let again = entries[0].clone();
            entries.push(again);
        }
        Some(Mutation::ManyColumns(n)) => {
            entries.extend((0..n).map(|j| (format!("k{j}"), b"1".to_vec())));
        }
        _ => {}
    }
    let mut out = b"{".to_vec();
    for (i, (k, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(if row.nulls { b", " } else { b"," });
        }
        out.extend(serde_json::to_vec(k).expect("a key"));
        out.push(b':');
        out.extend_from_slice(value);
    }
    out.push(b'}');
    if let Some(Mutation::Unclosed(f)) = row.mutation {
        let cut = 1 + (f * 7919) % (out.len() - 1);
        out.truncate(cut);
    }
    out
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn structured_manifests_are_accepted_exactly_when_every_row_is_valid(
        spec in spec(8, 2, 2)
    ) {
        let (bytes, starts) = render(&spec);
        let out = examine(spec.csv, &bytes, &options(spec.default_region))?;
        prop_assert_eq!(
            out.valid,
            spec.valid(),
            "problems: {:#?}\nfile:\n{}",
            out.texts,
            shown(&bytes)
        );
        if spec.rows_line_up() {
            for (row, start) in spec.rows.iter().zip(&starts) {
                let yielded = out.row_lines.contains(start);
                match row.mutation {
                    None if row.values[REGION].is_some() || spec.default_region => {
                        prop_assert!(yielded, "the row at line {} is missing: {:#?}", start, out.texts);
                    }
                    Some(Mutation::Duplicate(..)) => {}
                    _ => prop_assert!(!yielded, "the row at line {} was read", start),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// (c) Planted secrets

/// A spec whose rows carry marked secrets (SecretId, SecretKey, Password, sometimes through
/// `${SRC_KEY}`), more damage than (b), and sometimes cut short at any byte.
fn secret_spec() -> impl Strategy<Value = (Spec, Option<usize>)> {
    (
        spec(6, 5, 6),
        prop::collection::vec("[A-Za-z0-9]{4,24}", 6),
        prop::option::weighted(0.2, any::<usize>()),
    )
        .prop_map(|(mut spec, tails, cut)| {
            spec.optional[PASSWORD - REQUIRED] = true;
            for (i, row) in spec.rows.iter_mut().enumerate() {
                let tail = &tails[i % tails.len()];
                if row.values[SECRET_KEY].as_deref() != Some("${SRC_KEY}") {
                    row.values[SECRET_KEY] = Some(format!("{MARKER}{tail}"));
                }
                row.values[SECRET_ID] = Some(format!("AKID{MARKER}{tail}"));
                row.values[PASSWORD] = Some(format!("pw{MARKER}{tail}"));
            }
            (spec, cut)
        })
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn no_problem_and_no_row_shows_a_planted_secret((spec, cut) in secret_spec()) {
        let (mut bytes, _) = render(&spec);
        if let Some(cut) = cut {
            let at = cut % (bytes.len() + 1);
            bytes.truncate(at);
        }
        let out = examine(spec.csv, &bytes, &options(spec.default_region))?;
        for text in out.texts.iter().chain(&out.rows) {
            prop_assert!(
                !text.contains(MARKER) && !text.contains(&MARKER[..10]),
                "a secret in {:?}\nfile:\n{}",
                text,
                shown(&bytes)
            );
        }
    }
}
