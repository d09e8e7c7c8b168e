//! Opening a manifest: the format (`--format`, else the extension), the byte order mark, the CSV
//! header.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::csv_source::CsvSource;
use super::jsonl_source::JsonlSource;
use super::options::{Format, ManifestOptions};
use super::problem::{ManifestError, Place, Problem};
use super::rules::RowContext;
use super::source::{skip_bom, Source};

/// Read buffer size.
pub(crate) const BUFFER: usize = 256 * 1024;

/// An open manifest: its records, the problems of its header, and what the row rules need.
pub(crate) struct Opened {
    pub source: Box<dyn Source>,
    pub header_problems: Vec<Problem>,
    pub ctx: RowContext,
}

/// Opens `path` as CSV or JSONL: the format of the options, else the extension
/// (case-insensitive; `.ndjson` is JSON Lines too). Problems name the manifest by the options'
/// name, else by its path.
pub(crate) fn open(path: &Path, opts: &ManifestOptions) -> Result<Opened, ManifestError> {
    let name = opts
        .name
        .clone()
        .unwrap_or_else(|| path.display().to_string());
    if std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Err(ManifestError::Missing {
            path: name,
            near: super::nearby::closest_file(path).map(|p| p.display().to_string()),
        });
    }
    let is_csv = match opts.format.or_else(|| Format::of_path(path)) {
        Some(Format::Csv) => true,
        Some(Format::Jsonl) => false,
        None => return Err(ManifestError::UnknownFormat { path: name }),
    };
    let io_error = |source| ManifestError::Io {
        path: name.clone(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;

    let mut input = BufReader::with_capacity(BUFFER, file);
    let bom = skip_bom(&mut input).map_err(io_error)?;
    let place = Place::new(name.clone());
    let mut header_problems = Vec::new();
    let source: Box<dyn Source> = if is_csv {
        let has_default = opts.default_region.is_some();
        Box::new(CsvSource::open(
            input,
            bom,
            place.clone(),
            has_default,
            &mut header_problems,
        ))
    } else {
        Box::new(JsonlSource::new(input, place.clone()))
    };
    let ctx = RowContext {
        place,
        env: opts.env.clone(),
        default_region: opts.default_region.clone(),
        allow_unknown_region: opts.allow_unknown_region,
        absent: source.absent(),
    };
    Ok(Opened {
        source,
        header_problems,
        ctx,
    })
}
