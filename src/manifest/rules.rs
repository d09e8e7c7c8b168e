//! The per-row rules: resolve each value, check it, and build the [`Row`] when nothing is wrong.

use super::fields::{Field, ALL, FIELD_COUNT, REQUIRED};
use super::limits::MAX_FIELD_BYTES;
use super::options::EnvLookup;
use super::paths::{check_source, check_target, collapse_slashes};
use super::problem::{quote_if, Place, Problem};
use super::resolve::{resolve, Resolved};
use super::row::{identity, Identity, Row};
use super::source::RawRecord;
use crate::api::regions;
use crate::api::untrusted::is_unsafe_char;
use crate::api::CreateDataFlowRequest;
use crate::secret::Secret;

/// Storage types the service accepts.
const STORAGE_TYPES: [&str; 2] = ["S3_COS", "S3_L5"];
/// Longest DataFlowName, in characters.
const MAX_NAME_CHARS: usize = 64;

/// What the rules need besides the record.
pub(crate) struct RowContext {
    /// Where problems are.
    pub place: Place,
    /// How `${NAME}` is read.
    pub env: EnvLookup,
    /// The region for rows without one.
    pub default_region: Option<String>,
    /// A `Region` value not in `api::regions` is taken as it is.
    pub allow_unknown_region: bool,
    /// Fields the whole file lacks, already reported once.
    pub absent: u16,
}

/// The outcome of the rules for one record.
pub(crate) struct Checked {
    /// The row, when the record has no problem at all.
    pub row: Option<Row>,
    /// The identity, when the file system and target path are themselves valid.
    pub identity: Option<Identity>,
}

/// The values of one record, by field.
type Values = [Option<String>; FIELD_COUNT];

/// Applies every per-row rule to `rec`, adding what is wrong to `problems`. The identity (a
/// hash, for the duplicate check) is computed only `with_identity`.
pub(crate) fn check(
    rec: RawRecord,
    ctx: &RowContext,
    problems: &mut Vec<Problem>,
    with_identity: bool,
) -> Checked {
    let line = rec.line;
    let before = problems.len();
    let mut report = |f: Field, msg: String| problems.push(ctx.place.problem(line, f.name(), msg));
    let mut bad = rec.reported;
    let mut values = resolve_values(rec.values, &mut bad, ctx, &mut report);
    fill_region(&mut values, &mut bad, ctx, &mut report);
    for f in REQUIRED.into_iter().chain([Field::Region]) {
        if values[f.index()].is_none() && (bad | ctx.absent) & f.bit() == 0 {
            report(f, required_message(f));
            bad |= f.bit();
        }
    }
    let auto_refresh = match values[Field::AutoRefresh.index()]
        .as_deref()
        .map(auto_refresh)
    {
        Some(Err(msg)) => {
            report(Field::AutoRefresh, msg);
            None
        }
        Some(Ok(a)) => Some(a),
        None => None,
    };
    let identity = match (
        &values[Field::FileSystemId.index()],
        &values[Field::TargetPath.index()],
    ) {
        (Some(fs), Some(target)) if with_identity => Some(identity(fs, target)),
        _ => None,
    };
    if problems.len() > before || rec.failed {
        return Checked {
            row: None,
            identity,
        };
    }
    Checked {
        row: Some(row_of(line, values, auto_refresh)),
        identity,
    }
}

/// Resolves (`${NAME}`) and checks each field not already reported (those `bad` holds, and
/// gains when a value is wrong).
fn resolve_values(
    mut raw: Values,
    bad: &mut u16,
    ctx: &RowContext,
    report: &mut impl FnMut(Field, String),
) -> Values {
    let mut values: Values = Default::default();
    for f in ALL {
        if *bad & f.bit() != 0 {
            continue;
        }
        let checked = match resolve(raw[f.index()].take(), &*ctx.env) {
            Resolved::Absent => Ok(None),
            Resolved::MissingVariable(name) => {
                Err(format!("environment variable {name} is not set"))
            }
            // A target path is kept as it is sent and matched: repeated slashes collapsed.
            Resolved::Value(v) if f == Field::TargetPath => {
                check_field(f, &v).map(|()| Some(collapse_slashes(v)))
            }
            Resolved::Value(v) if f == Field::Region => check_field(f, &v)
                .and_then(|()| known_region(&v, ctx.allow_unknown_region))
                .map(|()| Some(v)),
            Resolved::Value(v) => check_field(f, &v).map(|()| Some(v)),
        };
        match checked {
            Ok(v) => values[f.index()] = v,
            Err(msg) => {
                report(f, msg);
                *bad |= f.bit();
            }
        }
    }
    values
}

/// A row without a region (and no wrong one) takes the default region, checked here.
fn fill_region(
    values: &mut Values,
    bad: &mut u16,
    ctx: &RowContext,
    report: &mut impl FnMut(Field, String),
) {
    let region = Field::Region.index();
    if values[region].is_none() && *bad & Field::Region.bit() == 0 {
        if let Some(default) = &ctx.default_region {
            // The default comes from `--region` or the environment: it goes into a host name too.
            match self::region(default) {
                Ok(()) => values[region] = Some(default.clone()),
                Err(msg) => {
                    report(Field::Region, format!("default region: {msg}"));
                    *bad |= Field::Region.bit();
                }
            }
        }
    }
}

/// The row of a record whose values are all good.
fn row_of(line: u64, values: Values, auto_refresh: Option<u8>) -> Row {
    let [file_system_id, source_storage_type, source_storage_address, source_path, target_path, secret_id, secret_key, data_flow_name, _, user_kafka_topic, server_addr, user_name, password, region] =
        values;
    let request = CreateDataFlowRequest {
        file_system_id: file_system_id.unwrap_or_default(),
        source_storage_type: source_storage_type.unwrap_or_default(),
        source_storage_address: source_storage_address.unwrap_or_default(),
        source_path: source_path.unwrap_or_default(),
        target_path: target_path.unwrap_or_default(),
        secret_id: Secret::new(secret_id.unwrap_or_default()),
        secret_key: Secret::new(secret_key.unwrap_or_default()),
        data_flow_name,
        auto_refresh,
        user_kafka_topic,
        server_addr,
        user_name,
        password: password.map(Secret::new),
    };
    Row {
        line,
        region: region.unwrap_or_default(),
        request,
    }
}

/// The message for a required field with no value.
fn required_message(f: Field) -> String {
    match f {
        Field::Region => {
            "required: add a Region column or pass --region (or set TENCENTCLOUD_REGION, or a region in ~/.tccli/PROFILE.configure)".into()
        }
        _ => "required".into(),
    }
}

/// The rules for one present value. Messages quote a value only for fields that are not secret.
fn check_field(f: Field, v: &str) -> Result<(), String> {
    if v.len() > MAX_FIELD_BYTES {
        return Err(format!(
            "longer than {MAX_FIELD_BYTES} bytes ({} bytes)",
            v.len()
        ));
    }
    // Every invisible character of `is_unsafe_char` is outside ASCII: an ASCII value needs only
    // the control check, byte by byte.
    if v.is_ascii() {
        if let Some(&b) = v.as_bytes().iter().find(|b| b.is_ascii_control()) {
            return Err(format!("contains a control character (U+{:04X})", b));
        }
    } else {
        if let Some(c) = v.chars().find(|c| c.is_control()) {
            return Err(format!(
                "contains a control character (U+{:04X})",
                u32::from(c)
            ));
        }
        // Server text is shown with these escaped; a value holding one could never be matched
        // with what the service lists, and can make a path read as another.
        if let Some(c) = v.chars().find(|&c| is_unsafe_char(c)) {
            return Err(format!(
                "contains an invisible line separator or text-direction character (U+{:04X})",
                u32::from(c)
            ));
        }
    }
    match f {
        Field::SourceStorageType if !STORAGE_TYPES.contains(&v) => Err(format!(
            "{} is not one of {}",
            quote_if(v, looks_like_a_storage_type(v), "a storage type"),
            STORAGE_TYPES.join(", ")
        )),
        Field::TargetPath => check_target(v),
        Field::SourcePath => check_source(v),
        Field::DataFlowName => data_flow_name(v),
        Field::Region => region(v),
        _ => Ok(()),
    }
}

/// True for a mistyped storage type (`S3_OSS`, `s3-cos`, `COS`): a short word that starts with
/// `S3`, names COS, or is two edits from an allowed type; not a secret that landed in the
/// column.
fn looks_like_a_storage_type(v: &str) -> bool {
    let upper = v.to_ascii_uppercase();
    v.len() <= 16
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && (upper.starts_with("S3")
            || upper.contains("COS")
            || STORAGE_TYPES
                .iter()
                .any(|t| strsim::levenshtein(&upper, t) <= 2))
}

/// True for what a mistaken AutoRefresh holds: a number (`2`, `1.0`) or a yes/no word.
fn looks_like_a_flag(v: &str) -> bool {
    let numeric = v.len() <= 8
        && v.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
    let word = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "t", "f",
    ]
    .iter()
    .any(|w| v.eq_ignore_ascii_case(w));
    numeric || word
}

/// At most 64 characters of ASCII letters, digits, Chinese characters, `_` and `-`. The value is
/// never quoted: a secret in this column (a CSV row shifted by a comma) is a word of letters
/// and digits like a name; the first character not allowed, and where, is enough to find it.
fn data_flow_name(v: &str) -> Result<(), String> {
    let n = v.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(format!("{n} characters; at most {MAX_NAME_CHARS} allowed"));
    }
    match v
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || is_chinese(*c)))
    {
        Some((i, c)) => Err(format!(
            "contains {c:?} (character {} of {n}); only letters, digits, Chinese characters, _ and - are allowed",
            i + 1
        )),
        None => Ok(()),
    }
}

/// True for CJK unified ideographs (the basic block, extensions A to H, compatibility).
fn is_chinese(c: char) -> bool {
    matches!(u32::from(c),
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF | 0x2A700..=0x2EE5F
        | 0x2F800..=0x2FA1F | 0x30000..=0x323AF)
}

/// 0 or 1.
fn auto_refresh(v: &str) -> Result<u8, String> {
    match v {
        "0" => Ok(0),
        "1" => Ok(1),
        _ => Err(format!(
            "{} must be 0 or 1",
            quote_if(v, looks_like_a_flag(v), "a 0 or a 1")
        )),
    }
}

/// A region Tencent Cloud has (`api::regions`), unless unknown ones are allowed.
fn known_region(v: &str, allow_unknown: bool) -> Result<(), String> {
    match regions::unknown(v) {
        Some(msg) if !allow_unknown => Err(msg),
        _ => Ok(()),
    }
}

/// A region name such as `ap-guangzhou`: it becomes part of a host name, so only lower-case
/// letters, digits and `-` are allowed.
fn region(v: &str) -> Result<(), String> {
    let ok = v.len() <= 64
        && v.starts_with(|c: char| c.is_ascii_lowercase())
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        let region_like = v.len() <= 40
            && v.contains(['-', '.', '_'])
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/' | ':'));
        Err(format!(
            "{} is not a region name like ap-guangzhou",
            quote_if(v, region_like, "a region")
        ))
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
