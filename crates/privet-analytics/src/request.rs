//! What every analysis request shares: checking counts and names, the actor a query counts (a person or an
//! organisation), the breakdown expression, and folding breakdown values beyond the top `limit` into `$other`.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, col, lit};
use hashbrown::HashMap;

use crate::Scope;
use crate::error::{AnalyticsError, Result};
use crate::property::{Property, Table};
use crate::time::Range;

/// The breakdown value that stands for everything beyond the top `limit`.
pub const OTHER: &str = "$other";

/// `limit`: how many breakdown values (or events per step) to keep; 10 by default, at least 1.
pub fn limit(value: Option<usize>) -> Result<usize> {
    count(value, 10, usize::MAX, "limit")
}

/// A count between 1 and `max`, `default` when absent (`steps`, `periods`, `limit`).
pub fn count(value: Option<usize>, default: usize, max: usize, field: &str) -> Result<usize> {
    let n = value.unwrap_or(default);
    if n == 0 || n > max {
        let range = if max == usize::MAX {
            "at least 1".to_string()
        } else {
            format!("between 1 and {max}")
        };
        return Err(AnalyticsError::invalid(
            field,
            format!("`{field}` must be {range}"),
        ));
    }
    Ok(n)
}

/// A required, non-empty event name.
pub fn event_name(event: Option<&str>, field: &str) -> Result<String> {
    match event.map(str::trim) {
        Some(name) if !name.is_empty() => Ok(name.to_string()),
        _ => Err(AnalyticsError::invalid(field, "name an event")),
    }
}

/// Who is counted: `person` (the default) or a group key such as `org_id`, whose pseudonyms are JSON numbers.
pub fn actor(count_by: Option<&str>) -> Result<Expr> {
    Ok(match count_by {
        None | Some("person") | Some("person_id") => col("person_id"),
        Some(key) => Property::parse(key, Table::Events, "count_by")?.id(),
    })
}

/// The breakdown's text expression, or a typed NULL without one.
pub async fn breakdown(scope: &Scope<'_>, name: Option<&str>) -> Result<Expr> {
    match name {
        Some(name) => scope.breakdown_expr(name, "breakdown").await,
        None => Ok(lit(ScalarValue::Utf8(None))),
    }
}

impl Scope<'_> {
    /// The request's `from`, `to` and `timezone`, with "now" for the defaults.
    pub fn range(
        &self,
        from: &Option<String>,
        to: &Option<String>,
        timezone: &Option<String>,
    ) -> Result<Range> {
        Range::parse(
            from.as_deref(),
            to.as_deref(),
            timezone.as_deref(),
            self.now_us,
        )
    }
}

/// Groups by breakdown code, ranked by `size` (largest first, then by value), the first `limit` kept and the
/// rest merged into one `$other` group, listed last. `values[code]` is the text of a code.
pub fn top_n<T>(
    groups: HashMap<u32, T>,
    values: &[Option<String>],
    limit: usize,
    size: impl Fn(&T) -> u64,
    merge: impl Fn(&mut T, T),
) -> Vec<(Option<String>, T)> {
    let text = |code: u32| values.get(code as usize).cloned().flatten();
    let mut ranked: Vec<(u32, T)> = groups.into_iter().collect();
    ranked.sort_by(|(a, ta), (b, tb)| {
        size(tb)
            .cmp(&size(ta))
            .then_with(|| text(*a).cmp(&text(*b)))
    });
    let mut out: Vec<(Option<String>, T)> = Vec::with_capacity(limit + 1);
    let mut other: Option<T> = None;
    for (i, (code, group)) in ranked.into_iter().enumerate() {
        if i < limit {
            out.push((text(code), group));
        } else {
            match &mut other {
                Some(o) => merge(o, group),
                None => other = Some(group),
            }
        }
    }
    if let Some(other) = other {
        out.push((Some(OTHER.to_string()), other));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_names_and_top_n() {
        assert_eq!(limit(None).unwrap(), 10);
        assert_eq!(limit(Some(0)).unwrap_err().field(), Some("limit"));
        assert_eq!(
            count(Some(11), 3, 10, "steps").unwrap_err().field(),
            Some("steps")
        );
        assert_eq!(count(None, 3, 10, "steps").unwrap(), 3);
        assert_eq!(
            event_name(Some(" "), "event").unwrap_err().field(),
            Some("event")
        );
        assert_eq!(event_name(Some(" A "), "event").unwrap(), "A");

        let values = vec![
            None,
            Some("b".to_string()),
            Some("a".to_string()),
            Some("c".to_string()),
        ];
        let groups: HashMap<u32, u64> = [(1, 5), (2, 5), (3, 1), (0, 2)].into_iter().collect();
        let top = top_n(groups, &values, 2, |n| *n, |a, b| *a += b);
        // Ties in size go by value; NULL (code 0) and `c` become `$other`.
        assert_eq!(
            top,
            [
                (Some("a".to_string()), 5),
                (Some("b".to_string()), 5),
                (Some(OTHER.to_string()), 3)
            ]
        );
    }
}
