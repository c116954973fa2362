//! Eight bytes at a time: the word tricks that the JSON lexer (`privet-ingest`), the escape check of
//! [`crate::json::RawJson::as_str`] and the pipeline's JSON writer share. Most strings an SDK sends are short,
//! where `memchr` goes byte by byte.
//!
//! A byte below `n` sets its high bit in `(x - n) & !x`, and a byte equal to `c` is a zero byte of `x ^ c`. A
//! borrow can flag bytes above a real one, never below it: the lowest flag (in little-endian order) is always a
//! real byte, so a word without flags holds none, and `trailing_zeros` finds the first.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The word of eight bytes at the start of `bytes` (which must hold at least eight), read little-endian.
pub fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes[..8].try_into().expect("eight bytes"))
}

/// Flags (high bits) the bytes of `word` that are below `n` (`n` at most 0x80).
pub fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * n as u64) & !word & HIGH
}

/// Flags (high bits) the bytes of `word` equal to `c`.
pub fn equal(word: u64, c: u8) -> u64 {
    below(word ^ (ONES * c as u64), 1)
}

/// The index of the first flagged byte, if any.
pub fn first(flags: u64) -> Option<usize> {
    (flags != 0).then(|| flags.trailing_zeros() as usize / 8)
}

/// Whether a JSON string cannot hold `b` as it is: a quote, a backslash or a control character (where the
/// lexer's scan of a string stops).
pub const fn is_json_stop(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Flags the bytes of `word` that [`is_json_stop`].
pub fn json_stops(word: u64) -> u64 {
    below(word, 0x20) | equal(word, b'"') | equal(word, b'\\')
}

/// Whether `bytes` must be escaped to be written as a JSON string (byte by byte below eight bytes).
pub fn needs_json_escape(bytes: &[u8]) -> bool {
    match bytes.len() {
        0..8 => bytes.iter().any(|&b| is_json_stop(b)),
        _ => any_word(bytes, json_stops),
    }
}

/// Whether `flags` flags a byte of `bytes` (at least eight): whole words, then one last word that may overlap
/// them.
fn any_word(bytes: &[u8], flags: impl Fn(u64) -> u64) -> bool {
    bytes.chunks_exact(8).any(|w| flags(word(w)) != 0)
        || flags(word(&bytes[bytes.len() - 8..])) != 0
}

/// Whether `bytes` hold `c` (two overlapping four-byte halves below eight bytes).
pub fn contains(bytes: &[u8], c: u8) -> bool {
    match bytes.len() {
        0..4 => bytes.contains(&c),
        4..8 => {
            // Four bytes, topped up with four that are not `c`.
            let pad = (ONES * u64::from(!c)) & !0xffff_ffff;
            let half = |at: usize| {
                let low = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("four bytes"));
                equal(u64::from(low) | pad, c) != 0
            };
            half(0) || half(bytes.len() - 4)
        }
        _ => any_word(bytes, |w| equal(w, c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_is_found_wherever_it_is() {
        for c in [b'\\', b'"', 0x00, 0xff] {
            for len in 0..40 {
                for at in 0..=len {
                    // Every length and place, among bytes on either side of `c` and with the high bit set.
                    let filler = [c.wrapping_sub(1), c.wrapping_add(1), 0xc3, b'a', 0x80];
                    let mut bytes: Vec<u8> = (0..len)
                        .map(|i| filler[i % filler.len()])
                        .map(|b| if b == c { b'a' } else { b })
                        .collect();
                    assert!(!contains(&bytes, c), "{c} in {bytes:?}");
                    if at < len {
                        bytes[at] = c;
                        assert!(contains(&bytes, c), "{c} in {bytes:?}");
                    }
                }
            }
        }
    }

    /// Every byte value, at every place of a word, among neighbours of the stops.
    #[test]
    fn json_stops_flag_exactly_the_stops() {
        let fillers = [b'a', 0x21, 0x5b, 0x5d, 0xa2, 0xdc, 0x9f, 0xff, 0x20, 0x7f];
        for b in 0..=255u8 {
            for at in 0..8 {
                for filler in fillers {
                    let mut bytes = [filler; 8];
                    bytes[at] = b;
                    let flags = json_stops(word(&bytes));
                    let expected = bytes.iter().position(|b| is_json_stop(*b));
                    assert_eq!(first(flags), expected, "{bytes:?}");
                    assert_eq!(needs_json_escape(&bytes), expected.is_some());
                }
            }
        }
    }

    #[test]
    fn json_escapes_are_found_wherever_they_are() {
        for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for len in 0..40 {
                for at in 0..=len {
                    let filler = [b' ', b'#', b'a', 0xc3, 0x80, 0x7f, b']'];
                    let mut bytes: Vec<u8> = (0..len).map(|i| filler[i % filler.len()]).collect();
                    assert!(!needs_json_escape(&bytes), "{bytes:?}");
                    if at < len {
                        bytes[at] = stop;
                        assert!(needs_json_escape(&bytes), "{stop} in {bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_first_flag_is_the_first_real_byte() {
        // A byte equal to `c` (or below `n`) borrows from the byte above it, which must not come first.
        let w = word(b"ab\"#cdef");
        assert_eq!(first(equal(w, b'"')), Some(2));
        let w = word(b"ab\x1f defg");
        assert_eq!(first(below(w, 0x20)), Some(2));
        assert_eq!(first(equal(word(b"abcdefgh"), b'"')), None);
    }
}
