//! A validating JSON lexer for the common case of [`super::parse`]: it walks a document once, checks it against
//! the JSON grammar and hands out spans of its text — an object's names and each value's text — without building
//! anything.
//!
//! It exists for speed. Reading twenty-odd properties per event through serde's visitors cost a quarter of the
//! privacy pipeline's time; this walk does the same job in a fraction of it. It is deliberately partial: whatever
//! it is unsure of (a syntax error, nesting deeper than [`MAX_DEPTH`], a name with an escape it cannot decode)
//! makes it give up, and the caller parses the document again with `serde_json`, which accepts the same
//! language, finds the error and words it. So the lexer must never accept text that `serde_json` refuses; the
//! differential tests below check that on many mangled documents.

use std::borrow::Cow;

use privet_model::swar;

/// Deeper nesting is left to `serde_json` (whose own limit is 128 levels).
pub const MAX_DEPTH: usize = 100;

/// Where the walk gave up; the caller falls back to `serde_json`.
#[derive(Debug, PartialEq, Eq)]
pub struct GiveUp;

pub type Lexed<T> = Result<T, GiveUp>;

/// Bytes that end the fast scan of a string's body: the quote, the backslash and control characters (which
/// JSON does not allow unescaped).
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = swar::is_json_stop(b as u8);
        b += 1;
    }
    table
};

/// An object's member name, as written.
#[derive(Copy, Clone, Debug)]
pub struct Name<'a> {
    /// With its quotes.
    quoted: &'a str,
    escaped: bool,
}

impl<'a> Name<'a> {
    /// The name: borrowed, or decoded when it holds escapes (giving up on one that names a lone surrogate).
    pub fn decode(self) -> Lexed<Cow<'a, str>> {
        if self.escaped {
            serde_json::from_str::<String>(self.quoted)
                .map(Cow::Owned)
                .map_err(|_| GiveUp)
        } else {
            Ok(Cow::Borrowed(&self.quoted[1..self.quoted.len() - 1]))
        }
    }
}

/// Where the first byte of `word` that is in [`STRING_STOP`] lies, if any (see [`privet_model::swar`]).
fn first_stop(word: u64) -> Option<usize> {
    swar::first(swar::json_stops(word))
}

/// A cursor over one JSON text.
pub struct Lexer<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Lexer<'a> {
        Lexer { text, at: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte after whitespace, not consumed.
    pub fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        while let Some(&b) = bytes.get(self.at) {
            if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    /// Consumes `byte` (after whitespace), or gives up.
    pub fn expect(&mut self, byte: u8) -> Lexed<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// Whether only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Walks the members of an object whose `{` is next, calling `member` with each [`Name`]; `member` must
    /// consume the value (with [`Lexer::value`] or another walk).
    pub fn object(
        &mut self,
        depth: usize,
        mut member: impl FnMut(&mut Self, Name<'a>) -> Lexed<()>,
    ) -> Lexed<()> {
        self.sequence(depth, b'{', b'}', |lexer| {
            let name = lexer.name()?;
            lexer.expect(b':')?;
            member(lexer, name)
        })
    }

    /// Walks the elements of an array whose `[` is next, calling `element` for each; `element` must consume it.
    pub fn array(
        &mut self,
        depth: usize,
        element: impl FnMut(&mut Self) -> Lexed<()>,
    ) -> Lexed<()> {
        self.sequence(depth, b'[', b']', element)
    }

    /// `open`, then items separated by commas, then `close`.
    fn sequence(
        &mut self,
        depth: usize,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Lexed<()>,
    ) -> Lexed<()> {
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        self.expect(open)?;
        if self.peek() == Some(close) {
            self.at += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b) if b == close => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(GiveUp),
            }
        }
    }

    /// Checks the next value (at nesting `depth`) and returns its text.
    pub fn value(&mut self, depth: usize) -> Lexed<&'a str> {
        let start = match self.peek() {
            Some(_) => self.at,
            None => return Err(GiveUp),
        };
        match self.bytes()[start] {
            b'"' => self.string().map(|_| ())?,
            b'{' => self.object(depth + 1, |lexer, _| lexer.value(depth + 1).map(|_| ()))?,
            b'[' => self.array(depth + 1, |lexer| lexer.value(depth + 1).map(|_| ()))?,
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(GiveUp),
        }
        Ok(&self.text[start..self.at])
    }

    fn name(&mut self) -> Lexed<Name<'a>> {
        if self.peek() != Some(b'"') {
            return Err(GiveUp);
        }
        let start = self.at;
        let escaped = self.string()?;
        Ok(Name {
            quoted: &self.text[start..self.at],
            escaped,
        })
    }

    /// Consumes a string whose `"` is next; returns whether it holds escapes.
    fn string(&mut self) -> Lexed<bool> {
        let bytes = self.bytes();
        let mut at = self.at + 1;
        let mut escaped = false;
        loop {
            // Eight bytes at a time up to the first that stops the scan; the last few byte by byte.
            loop {
                let Some(chunk) = bytes.get(at..at + 8) else {
                    while at < bytes.len() && !STRING_STOP[bytes[at] as usize] {
                        at += 1;
                    }
                    break;
                };
                match first_stop(swar::word(chunk)) {
                    Some(offset) => {
                        at += offset;
                        break;
                    }
                    None => at += 8,
                }
            }
            match bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    at += match bytes.get(at + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => 2,
                        Some(b'u')
                            if bytes
                                .get(at + 2..at + 6)
                                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) =>
                        {
                            6
                        }
                        _ => return Err(GiveUp),
                    };
                }
                // A control character, or the end of the text.
                _ => return Err(GiveUp),
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Lexed<()> {
        if self.bytes()[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Lexed<()> {
        let bytes = self.bytes();
        let mut at = self.at;
        let digits = |at: &mut usize| {
            let start = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > start
        };
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => return Err(GiveUp),
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                return Err(GiveUp);
            }
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            if !digits(&mut at) {
                return Err(GiveUp);
            }
        }
        self.at = at;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// Whether the lexer accepts `text` as one JSON value.
    fn accepts(text: &str) -> bool {
        let mut lexer = Lexer::new(text);
        lexer.value(0).is_ok() && lexer.at_end()
    }

    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<&serde_json::value::RawValue>(text).is_ok()
    }

    #[test]
    fn spans_and_names() {
        let text = r#" {"a" : [1, -2.5e+3, true, null], "b\u00e9": {"c": "x\"y"}, "d": 0} "#;
        let mut lexer = Lexer::new(text);
        let mut seen = Vec::new();
        lexer
            .object(0, |lexer, name| {
                seen.push((name.decode()?.into_owned(), lexer.value(1)?.to_string()));
                Ok(())
            })
            .unwrap();
        assert!(lexer.at_end());
        assert_eq!(
            seen,
            [
                ("a".to_string(), "[1, -2.5e+3, true, null]".to_string()),
                ("bé".to_string(), r#"{"c": "x\"y"}"#.to_string()),
                ("d".to_string(), "0".to_string()),
            ]
        );
    }

    #[test]
    fn the_word_scan_finds_the_first_stop_byte() {
        // A stop borrows from the byte above it ('#' is '"' + 1, ' ' is 0x1f + 1): that byte must not count.
        for (bytes, first) in [
            (*b"\"#abcdef", Some(0)),
            (*b"ab\x1f defg", Some(2)),
            (*b"abcdefg\\", Some(7)),
            (*b"abcdefgh", None),
            ([0xff, 0x80, 0xa0, 0x7f, b'!', b'#', b']', 0x00], Some(7)),
        ] {
            assert_eq!(first_stop(u64::from_le_bytes(bytes)), first, "{bytes:?}");
        }
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200_000 {
            let mut bytes = [0u8; 8];
            for b in &mut bytes {
                // Mostly ordinary text, with every byte value now and then.
                *b = if rng.random_bool(0.9) {
                    rng.random_range(0x20..0x7f)
                } else {
                    rng.random()
                };
            }
            assert_eq!(
                first_stop(u64::from_le_bytes(bytes)),
                bytes.iter().position(|b| STRING_STOP[*b as usize]),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn refuses_what_json_refuses() {
        for bad in [
            "",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "\"\t\"",
            "\"\\x\"",
            "\"\\u12\"",
            "[1 2]",
            "{\"a\" 1}",
            "\"open",
            "[",
            "{\"a\":}",
            "'x'",
            "NaN",
            "[1]]",
        ] {
            assert!(!accepts(bad), "{bad:?} is not JSON");
            assert!(
                !serde_accepts(bad),
                "{bad:?} is not JSON to serde_json either"
            );
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
        assert!(!accepts(&deep), "deep nesting is left to serde_json");
    }

    /// The lexer never accepts what `serde_json` refuses, on documents mangled at random (and accepts what it
    /// accepts, but for deep nesting and names with undecodable escapes, where it gives up on purpose).
    #[test]
    fn agrees_with_serde_json_on_mangled_documents() {
        let seeds = [
            r#"{"a\ud800":1}"#,
            r#"{"event":"Signed up","properties":{"token":"t","time":1700000000.25,"$insert_id":"a-1","n":-0.5e-3,"ok":true,"none":null,"list":[1,"two",{"x":[]}],"esc":"a\"b\\c\/d\u00e9\n","":{}}}"#,
            r#"[{"event":"A"},{"event":"B","properties":{"k":[[[]]],"e":1E+2}}, 7, "s", null]"#,
        ];
        let alphabet: &[u8] = b" \t\n\r{}[]:,\"\\/-+.0123456789eEtrufalsn\x01\x1fxu";
        let mut rng = StdRng::seed_from_u64(7);
        let mut checked = 0;
        for seed in seeds {
            assert!(accepts(seed) && serde_accepts(seed));
            for _ in 0..20_000 {
                let mut bytes = seed.as_bytes().to_vec();
                for _ in 0..rng.random_range(1..4) {
                    let at = rng.random_range(0..bytes.len());
                    match rng.random_range(0..3) {
                        0 => bytes[at] = alphabet[rng.random_range(0..alphabet.len())],
                        1 => {
                            bytes.remove(at);
                        }
                        _ => bytes.insert(at, alphabet[rng.random_range(0..alphabet.len())]),
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    continue;
                };
                assert_eq!(
                    accepts(text),
                    serde_accepts(text),
                    "the lexer and serde_json disagree on {text:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 30_000);
    }
}
