//! Sets of byte values, with ASCII letters folded to lower case: a text can hold a value only if it holds every
//! byte of it, which rules out almost every pair of a text and a person's values with a few bit operations,
//! before any search (the free-text scanner's search for the values the vault knows, which folds ASCII case the
//! same way).
//!
//! A set is one 64-bit word, so that the vault can keep one beside each subject in its table without making the
//! table much larger: each letter and digit has a bit of its own, other ASCII bytes share 26 bits, and bytes
//! beyond ASCII two. Bytes that share a bit only make the test pass more often (it stays a necessary condition).

/// The byte values a text holds (ASCII letters folded to lower case, some bytes sharing a bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ByteSet(u64);

/// The bit of each byte value.
static BIT: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let folded = (b as u8).to_ascii_lowercase();
        table[b] = match folded {
            b'a'..=b'z' => folded - b'a',
            b'0'..=b'9' => 26 + (folded - b'0'),
            0..=127 => 36 + folded % 26,
            _ => 62 + (folded & 1),
        };
        b += 1;
    }
    table
};

/// Every byte's bit fits in the word.
const _: () = {
    let mut b = 0;
    while b < 256 {
        assert!(BIT[b] < 64);
        b += 1;
    }
};

impl ByteSet {
    /// No bytes.
    pub const EMPTY: ByteSet = ByteSet(0);
    /// Every byte value.
    pub const ALL: ByteSet = ByteSet(u64::MAX);

    /// The bytes of `text`.
    pub fn of(text: &[u8]) -> ByteSet {
        ByteSet(
            text.iter()
                .fold(0, |set, b| set | 1 << BIT[usize::from(*b)]),
        )
    }

    /// Whether every byte of `other` is in this set.
    pub fn contains(self, other: ByteSet) -> bool {
        other.0 & !self.0 == 0
    }

    /// The bytes both sets hold.
    pub fn intersection(self, other: ByteSet) -> ByteSet {
        ByteSet(self.0 & other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_fold_ascii_case() {
        let set = ByteSet::of("Ada-É1".as_bytes());
        assert!(set.contains(ByteSet::of(b"ADA")));
        assert!(set.contains(ByteSet::of(b"-1d")));
        assert!(set.contains(ByteSet::of("É".as_bytes())));
        assert!(!set.contains(ByteSet::of(b"ab")));
        assert!(!set.contains(ByteSet::of(b"2")));
        assert!(set.contains(ByteSet::EMPTY));
        assert_eq!(
            ByteSet::of(b"user-12").intersection(ByteSet::of(b"org-21")),
            ByteSet::of(b"r-12")
        );
        assert_eq!(ByteSet::ALL.intersection(set), set);
    }

    /// Letters (either case) and digits each have a bit no other byte has.
    #[test]
    fn letters_and_digits_have_bits_of_their_own() {
        for b in (b'a'..=b'z').chain(b'0'..=b'9') {
            let others = (0..=255u8).filter(|o| o.to_ascii_lowercase() != b);
            for o in others {
                assert_ne!(BIT[usize::from(b)], BIT[usize::from(o)], "{b} and {o}");
            }
        }
    }
}
