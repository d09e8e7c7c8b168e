//! The duplicate check with bounded memory. Identities (24 bytes with their line) are sorted in
//! chunks; a manifest larger than one chunk spills each sorted chunk to an unnamed temporary file
//! and the chunks are merged, so a million rows take the memory of one chunk, not 24 MB.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io;

use super::row::Identity;

/// Identities sorted in memory before a chunk is spilled: 768 KB.
const CHUNK: usize = 1 << 15;
/// Bytes of one spilled record: the identity, then the line (little-endian).
const RECORD: usize = 24;
/// Read buffers of the merge, shared by every spilled chunk.
const MERGE_BUFFERS: usize = 1 << 20;

/// Collects every row's identity and line, then names each row whose identity an earlier row has.
pub(crate) struct Duplicates {
    chunk: Vec<(Identity, u64)>,
    chunk_len: usize,
    spill: Option<Spill>,
    /// Spilled chunks of other collectors taken in ([`Duplicates::absorb`]).
    others: Vec<Spill>,
}

/// Sorted chunks in a temporary file: (offset, records) of each.
struct Spill {
    file: File,
    runs: Vec<(u64, u64)>,
    end: u64,
}

/// One sorted chunk to merge: its file, offset and records.
type Run<'a> = (&'a File, u64, u64);

impl Default for Duplicates {
    fn default() -> Self {
        Duplicates::with_chunk(CHUNK)
    }
}

impl Duplicates {
    /// A collector that spills every `chunk_len` identities (small in tests).
    pub(crate) fn with_chunk(chunk_len: usize) -> Self {
        Duplicates {
            chunk: Vec::new(),
            chunk_len: chunk_len.max(1),
            spill: None,
            others: Vec::new(),
        }
    }

    /// Adds a row's identity.
    pub(crate) fn push(&mut self, id: Identity, line: u64) -> io::Result<()> {
        self.chunk.push((id, line));
        if self.chunk.len() >= self.chunk_len && cfg!(unix) {
            self.spill_chunk()?;
        }
        Ok(())
    }

    fn spill_chunk(&mut self) -> io::Result<()> {
        self.chunk.sort_unstable();
        let spill = match &mut self.spill {
            Some(s) => s,
            None => self.spill.insert(Spill {
                file: temp_file()?,
                runs: Vec::new(),
                end: 0,
            }),
        };
        let mut bytes = Vec::with_capacity(self.chunk.len() * RECORD);
        for (id, line) in self.chunk.drain(..) {
            bytes.extend_from_slice(&id);
            bytes.extend_from_slice(&line.to_le_bytes());
        }
        write_at(&spill.file, &bytes, spill.end)?;
        spill.runs.push((spill.end, (bytes.len() / RECORD) as u64));
        spill.end += bytes.len() as u64;
        Ok(())
    }

    /// Takes in the identities another collector gathered.
    pub(crate) fn absorb(&mut self, mut other: Duplicates) -> io::Result<()> {
        for (id, line) in other.chunk.drain(..) {
            self.push(id, line)?;
        }
        self.others.extend(other.spill.take());
        self.others.append(&mut other.others);
        Ok(())
    }

    /// Calls `dup(line, first_line)` for every row whose identity the row at `first_line` (the
    /// earliest) already has, in identity order.
    pub(crate) fn finish(mut self, mut dup: impl FnMut(u64, u64)) -> io::Result<()> {
        let mut first: Option<(Identity, u64)> = None;
        let mut see = |id: Identity, line: u64| match first {
            Some((f, first_line)) if f == id => dup(line, first_line),
            _ => first = Some((id, line)),
        };
        if self.spill.is_none() && self.others.is_empty() {
            self.chunk.sort_unstable();
            self.chunk.drain(..).for_each(|(id, line)| see(id, line));
            return Ok(());
        }
        if !self.chunk.is_empty() {
            self.spill_chunk()?;
        }
        let spills: Vec<&Spill> = self.spill.iter().chain(&self.others).collect();
        let runs: Vec<Run<'_>> = spills
            .iter()
            .flat_map(|s| s.runs.iter().map(|&(offset, n)| (&s.file, offset, n)))
            .collect();
        let per_run = (MERGE_BUFFERS / runs.len().max(1) / RECORD).max(64) * RECORD;
        let mut readers: Vec<RunReader<'_>> = runs
            .iter()
            .map(|&(file, offset, records)| RunReader {
                file,
                offset,
                left: records,
                buf: Vec::with_capacity(per_run),
                pos: 0,
            })
            .collect();
        let mut heap = BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(rec) = r.next()? {
                heap.push(Reverse((rec, i)));
            }
        }
        while let Some(Reverse(((id, line), i))) = heap.pop() {
            see(id, line);
            if let Some(rec) = readers[i].next()? {
                heap.push(Reverse((rec, i)));
            }
        }
        Ok(())
    }
}

/// Reads one sorted chunk back, a buffer at a time.
struct RunReader<'a> {
    file: &'a File,
    offset: u64,
    left: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl RunReader<'_> {
    fn next(&mut self) -> io::Result<Option<(Identity, u64)>> {
        if self.pos >= self.buf.len() {
            if self.left == 0 {
                return Ok(None);
            }
            let records = (self.buf.capacity() / RECORD)
                .max(1)
                .min(self.left as usize);
            self.buf.resize(records * RECORD, 0);
            read_at(self.file, &mut self.buf, self.offset)?;
            self.offset += self.buf.len() as u64;
            self.left -= records as u64;
            self.pos = 0;
        }
        let rec = &self.buf[self.pos..self.pos + RECORD];
        self.pos += RECORD;
        let mut id = [0u8; 16];
        id.copy_from_slice(&rec[..16]);
        let mut line = [0u8; 8];
        line.copy_from_slice(&rec[16..]);
        Ok(Some((id, u64::from_le_bytes(line))))
    }
}

/// A new file in the temporary directory, readable by its owner only, removed at once: it
/// disappears with the last handle, even if the process is killed.
#[cfg(unix)]
fn temp_file() -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    for _ in 0..100 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(
            ".bulkflow-dupes-{}-{n}-{nanos}",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(file) => {
                std::fs::remove_file(&path)?;
                return Ok(file);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary file name",
    ))
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

// Elsewhere every identity stays in memory (`push` never spills): these are never called.
#[cfg(not(unix))]
fn temp_file() -> io::Result<File> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no spill file"))
}

#[cfg(not(unix))]
fn write_at(_: &File, _: &[u8], _: u64) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no spill file"))
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no spill file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Identity {
        let mut id = [0u8; 16];
        id[0] = n;
        id[15] = n.wrapping_mul(7);
        id
    }

    fn dups(chunk: usize, rows: &[(u8, u64)]) -> Vec<(u64, u64)> {
        let mut d = Duplicates::with_chunk(chunk);
        for &(n, line) in rows {
            d.push(id(n), line).unwrap();
        }
        let mut out = Vec::new();
        d.finish(|line, first| out.push((line, first))).unwrap();
        out.sort_unstable();
        out
    }

    #[test]
    fn spilled_chunks_find_what_memory_finds() {
        // Identities repeat across chunk boundaries, within chunks, and three times.
        let rows: Vec<(u8, u64)> = (0..200u64).map(|i| ((i * 37 % 61) as u8, i + 2)).collect();
        let in_memory = dups(1 << 20, &rows);
        assert!(!in_memory.is_empty());
        for chunk in [1, 3, 16, 64, 199, 200] {
            assert_eq!(dups(chunk, &rows), in_memory, "chunk {chunk}");
        }
        // Each duplicate names the earliest line with its identity.
        for (line, first) in &in_memory {
            let n = rows.iter().find(|r| r.1 == *line).unwrap().0;
            let earliest = rows.iter().find(|r| r.0 == n).unwrap().1;
            assert_eq!(*first, earliest);
        }
    }

    #[test]
    fn two_collectors_find_what_one_finds() {
        let rows: Vec<(u8, u64)> = (0..300u64).map(|i| ((i * 53 % 97) as u8, i + 2)).collect();
        let whole = dups(1 << 20, &rows);
        for (chunk, cut) in [(1 << 20, 150), (7, 150), (7, 3), (64, 299)] {
            let mut a = Duplicates::with_chunk(chunk);
            let mut b = Duplicates::with_chunk(chunk);
            for &(n, line) in &rows[..cut] {
                a.push(id(n), line).unwrap();
            }
            for &(n, line) in &rows[cut..] {
                b.push(id(n), line).unwrap();
            }
            a.absorb(b).unwrap();
            let mut out = Vec::new();
            a.finish(|line, first| out.push((line, first))).unwrap();
            out.sort_unstable();
            assert_eq!(out, whole, "chunk {chunk}, cut {cut}");
        }
    }

    #[test]
    fn no_rows_and_no_duplicates() {
        assert!(dups(4, &[]).is_empty());
        assert!(dups(2, &[(1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]).is_empty());
    }
}
