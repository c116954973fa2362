//! Masking of email addresses in any text that leaves the delivery code: stored errors, logs, the tally.
//!
//! SMTP servers echo addresses in their replies (`550 5.1.1 <ada@example.com>: unknown user`); every such
//! text goes through [`mask_addresses`] first, which keeps the first character of the local part and the
//! domain (`a***@example.com`), enough to tell a typo in a domain from an unknown mailbox.

/// Characters allowed in the local part of an address (RFC 5322 `atext` plus `.`), or any non-ASCII
/// letter (RFC 6532).
fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~.".contains(c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// Characters allowed in a domain (or an address literal such as `[127.0.0.1]`).
fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.[]:".contains(c) || (!c.is_ascii() && c.is_alphanumeric())
}

/// Returns `text` with the local part of every email address in it replaced by its first character and
/// `***`: `"<ada.lovelace@example.com>: unknown"` becomes `"<a***@example.com>: unknown"`.
pub fn mask_addresses(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            // The local part is the run of local characters just written to `out`.
            let local_len = out.chars().rev().take_while(|&c| is_local_char(c)).count();
            let has_domain = chars
                .get(i + 1)
                .is_some_and(|&c| is_domain_char(c) && c != '.');
            if local_len > 0 && has_domain {
                let keep = out.chars().count() - local_len;
                let first = out.chars().nth(keep).expect("local part is not empty");
                out = out.chars().take(keep).collect();
                out.push(first);
                out.push_str("***");
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Masks one address (or anything a caller passes where an address was expected). A display name
/// (`Ada Lovelace <ada@example.com>`) is dropped: only the masked address is kept.
pub fn mask_address(address: &str) -> String {
    let address = address.trim();
    let inner = match (address.rfind('<'), address.rfind('>')) {
        (Some(open), Some(close)) if open < close => &address[open + 1..close],
        _ => address,
    };
    if inner.contains('@') {
        let masked = mask_addresses(inner.trim());
        if inner.len() == address.len() {
            masked
        } else {
            format!("<{masked}>")
        }
    } else {
        match inner.chars().next() {
            Some(first) => format!("{first}***"),
            None => String::new(),
        }
    }
}
