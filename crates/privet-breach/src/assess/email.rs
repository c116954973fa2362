//! Email addresses as a matcher sees them: the exact address, the address without its `+tag`, and the mailbox
//! by the provider's rules (Gmail ignores dots in the local part; `googlemail.com` is `gmail.com`).

/// The forms of one address, each trimmed and lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forms {
    pub exact: String,
    pub untagged: String,
    pub canonical: String,
}

/// Providers whose mailboxes ignore dots in the local part.
const DOTLESS: [&str; 1] = ["gmail.com"];
/// Domains that are another name for a provider's domain.
const ALIASES: [(&str, &str); 1] = [("googlemail.com", "gmail.com")];

impl Forms {
    /// `None` unless `address` looks like `local@domain.tld`.
    pub fn of(address: &str) -> Option<Forms> {
        let exact = address.trim().to_lowercase();
        let (local, domain) = exact.rsplit_once('@')?;
        if local.is_empty()
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || exact.contains(char::is_whitespace)
        {
            return None;
        }
        let base = local.split('+').next().unwrap_or(local);
        let base = if base.is_empty() { local } else { base };
        let untagged = format!("{base}@{domain}");
        let domain = ALIASES
            .iter()
            .find(|(alias, _)| *alias == domain)
            .map_or(domain, |(_, real)| real);
        let canonical_local = if DOTLESS.contains(&domain) {
            base.replace('.', "")
        } else {
            base.to_string()
        };
        let canonical = format!("{canonical_local}@{domain}");
        Some(Forms {
            exact,
            untagged,
            canonical,
        })
    }

    /// The different forms, exact first.
    pub fn distinct(&self) -> Vec<&str> {
        let mut out = vec![self.exact.as_str()];
        for form in [&self.untagged, &self.canonical] {
            if !out.contains(&form.as_str()) {
                out.push(form);
            }
        }
        out
    }
}

/// `a***@example.com`: enough for an officer to recognise, not enough to write to.
pub fn mask(address: &str) -> String {
    let address = address.trim();
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_follow_tags_and_provider_rules() {
        let f = Forms::of("  Ada.Lovelace+News@GoogleMail.com ").unwrap();
        assert_eq!(f.exact, "ada.lovelace+news@googlemail.com");
        assert_eq!(f.untagged, "ada.lovelace@googlemail.com");
        assert_eq!(f.canonical, "adalovelace@gmail.com");
        let f = Forms::of("first.last+x@example.org").unwrap();
        assert_eq!(
            f.canonical, "first.last@example.org",
            "dots matter outside Gmail"
        );
        assert_eq!(
            f.distinct(),
            vec!["first.last+x@example.org", "first.last@example.org"]
        );
        assert_eq!(
            Forms::of("+only@example.org").unwrap().untagged,
            "+only@example.org"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@localhost",
            "a b@example.com",
            "ada@example.",
        ] {
            assert_eq!(Forms::of(bad), None, "{bad}");
        }
        assert_eq!(mask("ada@example.com"), "a***@example.com");
        assert_eq!(mask("nope"), "***");
    }
}
