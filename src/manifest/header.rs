//! The CSV header row: which column holds which field, and what is wrong with the names.

use super::csv_parse::RawCsvRecord;
use super::fields::{Field, ALL, REQUIRED};
use super::limits::{MAX_COLUMNS, MAX_FIELD_BYTES};
use super::names::{lookup, unknown_message};
use super::problem::{quote, Place, Problem};

/// What the header says about the columns.
#[derive(Debug, Default, Clone)]
pub(crate) struct Columns {
    /// The field of each column; `None` for a column that was reported and is ignored.
    pub fields: Vec<Option<Field>>,
    /// How many columns every record must have.
    pub count: usize,
    /// Fields no column holds that were reported once here, as a field mask.
    pub absent: u16,
}

/// Maps the header record to fields, reporting unknown, repeated and missing columns.
pub(crate) fn map_header(
    rec: &RawCsvRecord,
    place: &Place,
    has_default_region: bool,
    problems: &mut Vec<Problem>,
) -> Columns {
    let mut report = |msg: String| problems.push(place.problem(rec.line, "header", msg));
    let mut cols = Columns {
        count: rec.count,
        ..Default::default()
    };
    if rec.unterminated {
        report("quoted field is not closed before the end of the file".into());
    }
    if rec.count > MAX_COLUMNS {
        report(format!(
            "{} columns; at most {MAX_COLUMNS} allowed",
            rec.count
        ));
    }
    let mut unknown = Vec::new();
    let mut seen = 0u16;
    for (i, raw) in rec.fields.iter().take(MAX_COLUMNS).enumerate() {
        let n = i + 1;
        let name = if raw.len > MAX_FIELD_BYTES {
            Err(format!("column {n} is longer than {MAX_FIELD_BYTES} bytes"))
        } else {
            std::str::from_utf8(&raw.bytes).map_err(|_| format!("column {n} is not valid UTF-8"))
        };
        let field = match name {
            Err(msg) => {
                report(msg);
                None
            }
            Ok(name) => match lookup(name) {
                None if name.trim().is_empty() => {
                    report(format!("column {n} has no name"));
                    None
                }
                None => {
                    unknown.push(unknown_message(name, &format!("column {n}")));
                    None
                }
                Some(f) if seen & f.bit() != 0 => {
                    report(format!("column {n} ({}) repeats {}", quote(name), f.name()));
                    None
                }
                Some(f) => {
                    seen |= f.bit();
                    Some(f)
                }
            },
        };
        cols.fields.push(field);
    }
    if seen == 0 && !rec.fields.is_empty() {
        // Likely a data row: say so without quoting any of it, since it may hold secrets.
        let names: Vec<&str> = ALL.iter().map(|f| f.name()).collect();
        report(format!(
            "no known field names; the first line must be a header row naming the fields ({})",
            names.join(", ")
        ));
        cols.absent = u16::MAX;
        return cols;
    }
    for msg in unknown {
        report(msg);
    }
    for f in REQUIRED {
        if seen & f.bit() == 0 {
            report(format!("missing required column {}", f.name()));
            cols.absent |= f.bit();
        }
    }
    if seen & Field::Region.bit() == 0 && !has_default_region {
        report(
            "no Region column and no default region: add a Region column or pass --region \
             (or set TENCENTCLOUD_REGION, or a region in ~/.tccli/PROFILE.configure)"
                .into(),
        );
        cols.absent |= Field::Region.bit();
    }
    cols
}
