//! Reading lines with bounded memory: a line longer than the limit is counted, not kept.

use std::io::{self, BufRead};

/// One line as read.
#[derive(Debug, Default)]
pub(crate) struct Line {
    /// The 1-based line number.
    pub number: u64,
    /// The line without its LF (a CR before it is kept), cut at the limit.
    pub bytes: Vec<u8>,
    /// The line's full length in bytes, without its LF.
    pub len: usize,
}

/// Splits a byte stream into lines of at most `limit` kept bytes.
pub(crate) struct Lines<R> {
    input: R,
    limit: usize,
    next: u64,
}

impl<R: BufRead> Lines<R> {
    /// Lines from `input`, keeping at most `limit` bytes of each.
    pub(crate) fn new(input: R, limit: usize) -> Self {
        Lines {
            input,
            limit,
            next: 1,
        }
    }

    /// The number of the line being read.
    pub(crate) fn line(&self) -> u64 {
        self.next
    }

    /// The next line, or `None` at the end of the input.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<Line>> {
        let mut line = Line {
            number: self.next,
            ..Default::default()
        };
        let mut any = false;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(any.then_some(line));
            }
            any = true;
            let (chunk, used, ended) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            let room = (self.limit + 1).saturating_sub(line.bytes.len());
            line.bytes
                .extend_from_slice(&chunk[..chunk.len().min(room)]);
            line.len += chunk.len();
            self.input.consume(used);
            if ended {
                self.next += 1;
                return Ok(Some(line));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_bounds() {
        let mut input = b"a\r\n\nbb\n".to_vec();
        input.extend(vec![b'x'; 50]);
        let mut l = Lines::new(&input[..], 10);
        let a = l.next_line().unwrap().unwrap();
        assert_eq!(
            (a.number, a.bytes.as_slice(), a.len),
            (1, b"a\r".as_slice(), 2)
        );
        assert_eq!(l.next_line().unwrap().unwrap().len, 0);
        assert_eq!(l.next_line().unwrap().unwrap().bytes, b"bb");
        let x = l.next_line().unwrap().unwrap();
        assert_eq!((x.number, x.bytes.len(), x.len), (4, 11, 50));
        assert!(l.next_line().unwrap().is_none());
    }
}
