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
    if rec.unterminated {
        report("quoted field is not closed before the end of the file".into());
    }
    if rec.count > MAX_COLUMNS {
        report(format!(
            "{} columns; at most {MAX_COLUMNS} allowed",
            rec.count
        ));
    }
    let named = name_columns(rec, &mut report);
    let mut cols = Columns {
        fields: named.fields,
        count: rec.count,
        absent: 0,
    };
    let seen = named.seen;
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
    for msg in named.unknown {
        report(msg);
    }
    cols.absent = absent_columns(seen, has_default_region, &mut report);
    cols
}

/// The header's columns by name.
struct Named {
    /// The field of each column; `None` for one that was reported.
    fields: Vec<Option<Field>>,
    /// The fields some column holds, as a field mask.
    seen: u16,
    /// What is wrong with the columns of unknown names, reported only if others are known.
    unknown: Vec<String>,
}

/// Names each column's field, reporting columns too long, not UTF-8, unnamed or repeated.
fn name_columns(rec: &RawCsvRecord, report: &mut impl FnMut(String)) -> Named {
    let mut named = Named {
        fields: Vec::new(),
        seen: 0,
        unknown: Vec::new(),
    };
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
                    named
                        .unknown
                        .push(unknown_message(name, &format!("column {n}")));
                    None
                }
                Some(f) if named.seen & f.bit() != 0 => {
                    report(format!("column {n} ({}) repeats {}", quote(name), f.name()));
                    None
                }
                Some(f) => {
                    named.seen |= f.bit();
                    Some(f)
                }
            },
        };
        named.fields.push(field);
    }
    named
}

/// Reports the required fields no column holds (`seen` is those some column holds), and
/// returns them as a field mask.
fn absent_columns(seen: u16, has_default_region: bool, report: &mut impl FnMut(String)) -> u16 {
    let mut absent = 0;
    for f in REQUIRED {
        if seen & f.bit() == 0 {
            report(format!("missing required column {}", f.name()));
            absent |= f.bit();
        }
    }
    if seen & Field::Region.bit() == 0 && !has_default_region {
        report(
            "no Region column and no default region: add a Region column or pass --region \
             (or set TENCENTCLOUD_REGION, or a region in ~/.tccli/PROFILE.configure)"
                .into(),
        );
        absent |= Field::Region.bit();
    }
    absent
}
