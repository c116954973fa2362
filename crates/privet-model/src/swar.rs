//! Eight bytes at a time: the word tricks that the JSON lexer (`privet-ingest`) and the escape check of
//! [`crate::json::RawJson::as_str`] share. Most strings an SDK sends are short, where `memchr` goes byte by byte.
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

/// Whether `bytes` hold `c`: whole words, then one last word that may overlap them; two overlapping four-byte
/// halves below eight bytes.
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
        len => {
            bytes.chunks_exact(8).any(|w| equal(word(w), c) != 0)
                || equal(word(&bytes[len - 8..]), c) != 0
        }
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
