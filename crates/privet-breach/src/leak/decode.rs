//! From the bytes on disk to UTF-8 text, whatever the vendor's tools wrote.
//!
//! * gzip (magic `1f 8b`, several members too, as `cat a.gz b.gz` makes) is decompressed as it is read;
//!   other archives and compressors (zip and Excel workbooks, zstd, xz, bzip2, 7z, SQLite files) are refused
//!   with what to do instead.
//! * A UTF-8 byte order mark is dropped (or the first header would not match); UTF-16 LE/BE, with a byte order
//!   mark or recognised by its zero bytes, is decoded (Excel's "Unicode text").
//! * Bytes that are not UTF-8 (a Latin-1 or Windows-1252 export) are decoded as Windows-1252, sequence by
//!   sequence, so a mostly UTF-8 file with a few Latin-1 names reads right too.
//!
//! Every byte taken from the file is counted, for progress reports. Compressed data that stops short (a leak
//! cut in transfer) reads as the end of the file, flagged so that the caller can warn.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::LazyLock;

use encoding_rs::{Decoder, Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Size of the read buffers.
pub(super) const CHUNK: usize = 256 * 1024;

/// Counts the bytes read from the file into a shared cell.
pub(super) struct Counting<R> {
    pub(super) inner: R,
    pub(super) count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The file's bytes, decompressed when they are gzip. `Err` names a format that cannot be read directly and
/// says what to do.
pub(super) fn decompress<R: Read + 'static>(file: R) -> io::Result<Result<Box<dyn Read>, String>> {
    let mut reader = BufReader::with_capacity(CHUNK, file);
    let head = reader.fill_buf()?;
    let refuse = |what: &str, todo: &str| Ok(Err(format!("it is {what}: {todo}")));
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Ok(Box::new(flate2::bufread::MultiGzDecoder::new(reader))));
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return refuse(
            "a ZIP archive (or an Excel .xlsx workbook)",
            "unzip it (or save each sheet as CSV) and pass the files inside",
        );
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return refuse(
            "zstd-compressed",
            "decompress it first (`zstd -d`); only gzip is read directly",
        );
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return refuse(
            "xz-compressed",
            "decompress it first (`xz -d`); only gzip is read directly",
        );
    }
    if head.starts_with(b"BZh") && head.get(3).is_some_and(u8::is_ascii_digit) {
        return refuse(
            "bzip2-compressed",
            "decompress it first (`bunzip2`); only gzip is read directly",
        );
    }
    if head.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return refuse(
            "a 7-Zip archive",
            "extract it (`7z x`) and pass the files inside",
        );
    }
    if head.starts_with(b"SQLite format 3\0") {
        return refuse(
            "an SQLite database",
            "export each table as CSV (`sqlite3 -header -csv FILE 'SELECT * FROM t'`) and pass those",
        );
    }
    Ok(Ok(Box::new(reader)))
}

/// How the text is encoded.
enum Source {
    /// UTF-8, with Windows-1252 for the bytes that are not.
    Utf8,
    /// Anything encoding_rs decodes (UTF-16).
    Decoded(Decoder),
}

/// Reads any of the encodings of the module documentation as UTF-8.
pub(super) struct TextReader<R> {
    inner: R,
    source: Source,
    raw: Vec<u8>,
    /// `raw[..raw_len]` holds bytes read and not yet decoded.
    raw_len: usize,
    eof: bool,
    /// The last bytes were decoded (a decoder must not be called after its last call).
    finished: bool,
    /// The compressed data ended early: read as the end of the file.
    pub(super) truncated: Rc<Cell<bool>>,
    out: Vec<u8>,
    out_pos: usize,
}

impl<R: Read> TextReader<R> {
    pub(super) fn new(mut inner: R) -> io::Result<Self> {
        let mut raw = vec![0; CHUNK];
        let mut raw_len = 0;
        let (mut eof, mut truncated) = (false, false);
        while raw_len < 256 && !eof {
            match read(&mut inner, &mut raw[raw_len..])? {
                Some(0) => eof = true,
                Some(n) => raw_len += n,
                None => (eof, truncated) = (true, true),
            }
        }
        let (encoding, bom) = match Encoding::for_bom(&raw[..raw_len]) {
            Some((encoding, bom)) => (Some(encoding), bom),
            None => (utf16_without_bom(&raw[..raw_len]), 0),
        };
        raw.copy_within(bom..raw_len, 0);
        raw_len -= bom;
        let source = match encoding {
            Some(e) if e == UTF_16LE || e == UTF_16BE => {
                Source::Decoded(e.new_decoder_without_bom_handling())
            }
            _ => Source::Utf8,
        };
        Ok(TextReader {
            inner,
            source,
            raw,
            raw_len,
            eof,
            finished: false,
            truncated: Rc::new(Cell::new(truncated)),
            out: Vec::with_capacity(CHUNK),
            out_pos: 0,
        })
    }

    /// Decodes the next chunk into `out`; leaves it empty at the end of the file.
    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        while !self.finished {
            if !self.eof && self.raw_len < self.raw.len() {
                match read(&mut self.inner, &mut self.raw[self.raw_len..])? {
                    Some(0) => self.eof = true,
                    Some(n) => self.raw_len += n,
                    None => {
                        self.eof = true;
                        self.truncated.set(true);
                    }
                }
            }
            let src = &self.raw[..self.raw_len];
            let used = match &mut self.source {
                Source::Utf8 => repair_utf8(src, self.eof, &mut self.out),
                Source::Decoded(decoder) => {
                    let room = decoder
                        .max_utf8_buffer_length(src.len())
                        .unwrap_or(src.len() * 3 + 16);
                    self.out.resize(room, 0);
                    let (_, read, written, _) =
                        decoder.decode_to_utf8(src, &mut self.out, self.eof);
                    self.out.truncate(written);
                    read
                }
            };
            self.raw.copy_within(used..self.raw_len, 0);
            self.raw_len -= used;
            self.finished = self.eof && self.raw_len == 0;
            if !self.out.is_empty() {
                break;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for TextReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out.len() {
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Reads into `buf`, retrying when interrupted; `None` when compressed data ends before its end (a leak cut
/// short: what came before is still worth reading).
fn read(inner: &mut impl Read, buf: &mut [u8]) -> io::Result<Option<usize>> {
    loop {
        match inner.read(buf) {
            Ok(n) => return Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// UTF-16 without a byte order mark: every other byte of the first ones is zero (ASCII in UTF-16).
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let head = &head[..head.len().min(256) & !1];
    let pairs = head.len() / 2;
    if pairs < 2 {
        return None;
    }
    let zero_even = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let zero_odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if zero_odd * 10 >= pairs * 9 && zero_even == 0 {
        Some(UTF_16LE)
    } else if zero_even * 10 >= pairs * 9 && zero_odd == 0 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Appends `src` to `out` as UTF-8, decoding bytes that are not UTF-8 as Windows-1252. Returns the bytes used:
/// an incomplete sequence at the end waits for the next chunk unless `eof`.
fn repair_utf8(src: &[u8], eof: bool, out: &mut Vec<u8>) -> usize {
    let mut pos = 0;
    loop {
        match std::str::from_utf8(&src[pos..]) {
            Ok(_) => {
                out.extend_from_slice(&src[pos..]);
                return src.len();
            }
            Err(e) => {
                let valid = pos + e.valid_up_to();
                out.extend_from_slice(&src[pos..valid]);
                match e.error_len() {
                    Some(_) => {
                        push_windows_1252(src[valid], out);
                        pos = valid + 1;
                    }
                    None if eof => {
                        src[valid..].iter().for_each(|&b| push_windows_1252(b, out));
                        return src.len();
                    }
                    None => return valid,
                }
            }
        }
    }
}

/// Appends the Windows-1252 character of `byte` (≥ 0x80) as UTF-8.
fn push_windows_1252(byte: u8, out: &mut Vec<u8>) {
    static HIGH: LazyLock<Vec<char>> = LazyLock::new(|| {
        let bytes: Vec<u8> = (0x80..=0xff).collect();
        WINDOWS_1252
            .decode_without_bom_handling(&bytes)
            .0
            .chars()
            .collect()
    });
    let c = HIGH
        .get(usize::from(byte).wrapping_sub(0x80))
        .copied()
        .unwrap_or(char::from(byte));
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
}
