//! Properties and filters: how a name in a request becomes a DataFusion expression.
//!
//! A property is an events column (`country`, `browser`, …) when one has that name, otherwise a custom property
//! read from the `properties` JSON text. People filters (cohorts) read the `people` table the same way.
//! Filters are `{"property", "op", "value"}` objects; `{"cohort": NAME}` keeps a saved cohort's people.

use arrow::datatypes::DataType;
use datafusion::logical_expr::{Expr, Operator, binary_expr, cast, col, lit};
use datafusion::prelude::{ident, or, try_cast};
use datafusion_functions_json::functions::{json_as_text, json_get_float};
use serde::Deserialize;
use serde_json::Value;

use privet_store::schema::DIMENSION_COLUMNS;

use crate::error::{AnalyticsError, Result};

/// Which table a property is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Events,
    People,
}

/// A property reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Property {
    /// A text column of the table.
    Column(String),
    /// The `person_id` (or `device_id`) column, an integer.
    Id(String),
    /// A key of the `properties` JSON.
    Custom(String),
}

impl Property {
    pub fn parse(name: &str, table: Table, field: &str) -> Result<Property> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AnalyticsError::invalid(field, "the property name is empty"));
        }
        if let Some(custom) = name.strip_prefix("properties.") {
            return Ok(Property::Custom(custom.to_string()));
        }
        let is_id = match table {
            Table::Events => matches!(name, "person_id" | "device_id"),
            Table::People => name == "person_id",
        };
        if is_id {
            return Ok(Property::Id(name.to_string()));
        }
        if table == Table::Events && (name == "event" || DIMENSION_COLUMNS.contains(&name)) {
            return Ok(Property::Column(name.to_string()));
        }
        if matches!(name, "time" | "insert_id" | "first_seen" | "last_seen") {
            return Err(AnalyticsError::invalid(
                field,
                format!("`{name}` cannot be used here; filter on time with `from` and `to`"),
            ));
        }
        Ok(Property::Custom(name.to_string()))
    }

    /// The value as text (`NULL` when unset).
    pub fn text(&self) -> Expr {
        match self {
            Property::Column(name) => ident(name),
            Property::Id(name) => cast(ident(name), DataType::Utf8),
            Property::Custom(key) => json_as_text(col("properties"), lit(key.as_str())),
        }
    }

    /// The value as a number (`NULL` when unset or not numeric).
    pub fn number(&self) -> Expr {
        match self {
            Property::Column(name) => try_cast(ident(name), DataType::Float64),
            Property::Id(name) => cast(ident(name), DataType::Float64),
            Property::Custom(key) => json_get_float(col("properties"), lit(key.as_str())),
        }
    }

    /// The value as an integer id (group pseudonyms are JSON numbers).
    pub fn id(&self) -> Expr {
        match self {
            Property::Id(name) => ident(name),
            Property::Column(name) => try_cast(ident(name), DataType::Int64),
            Property::Custom(key) => datafusion_functions_json::functions::json_get_int(
                col("properties"),
                lit(key.as_str()),
            ),
        }
    }
}

/// One filter as it arrives.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    pub property: Option<String>,
    pub op: Option<String>,
    pub value: Option<Value>,
    pub cohort: Option<String>,
    pub not_cohort: Option<String>,
}

/// A filter that needs a saved cohort's members (resolved by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortRef {
    pub name: String,
    pub negated: bool,
    pub field: String,
}

/// A parsed filter.
#[derive(Clone, Debug)]
pub enum Filter {
    Expr(Expr),
    Cohort(CohortRef),
}

/// Parses a list of filters; `field` is the list's JSON path (`filters`, `steps[0].filters`).
pub fn parse_filters(specs: &[FilterSpec], table: Table, field: &str) -> Result<Vec<Filter>> {
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| parse_filter(spec, table, &format!("{field}[{i}]")))
        .collect()
}

fn parse_filter(spec: &FilterSpec, table: Table, field: &str) -> Result<Filter> {
    if let Some(name) = spec.cohort.as_ref().or(spec.not_cohort.as_ref()) {
        return Ok(Filter::Cohort(CohortRef {
            name: name.clone(),
            negated: spec.not_cohort.is_some(),
            field: format!("{field}.cohort"),
        }));
    }
    let property_field = format!("{field}.property");
    let name = spec.property.as_deref().ok_or_else(|| {
        AnalyticsError::invalid(
            &property_field,
            "a filter needs a `property` (or a `cohort`)",
        )
    })?;
    let property = Property::parse(name, table, &property_field)?;
    let op = spec
        .op
        .as_deref()
        .unwrap_or("=")
        .trim()
        .to_ascii_lowercase();
    let value_field = format!("{field}.value");
    let value = || {
        spec.value
            .as_ref()
            .filter(|v| !v.is_null())
            .ok_or_else(|| AnalyticsError::invalid(&value_field, format!("`{op}` needs a `value`")))
    };
    let number = || -> Result<f64> {
        value()?.as_f64().ok_or_else(|| {
            AnalyticsError::invalid(
                &value_field,
                format!("`{op}` compares numbers; give a number"),
            )
        })
    };
    let text = property.text();
    let expr = match op.as_str() {
        "=" | "==" | "eq" | "equals" => equals(&property, value()?),
        "!=" | "<>" | "ne" | "not equals" => {
            let eq = equals(&property, value()?);
            or(Expr::Not(Box::new(eq)), text.is_null())
        }
        "in" | "not in" => {
            let items = value()?.as_array().ok_or_else(|| {
                AnalyticsError::invalid(&value_field, format!("`{op}` needs a list of values"))
            })?;
            let list: Vec<Expr> = items.iter().map(|v| lit(value_text(v))).collect();
            if op == "in" {
                text.in_list(list, false)
            } else {
                or(text.clone().in_list(list, true), text.is_null())
            }
        }
        "contains" | "not contains" => {
            let needle = value_text(value()?);
            let pattern = lit(format!("%{}%", escape_like(&needle)));
            if op == "contains" {
                text.ilike(pattern)
            } else {
                or(text.clone().not_ilike(pattern), text.is_null())
            }
        }
        ">" | ">=" | "<" | "<=" => {
            let operator = match op.as_str() {
                ">" => Operator::Gt,
                ">=" => Operator::GtEq,
                "<" => Operator::Lt,
                _ => Operator::LtEq,
            };
            binary_expr(property.number(), operator, lit(number()?))
        }
        "is set" | "set" => text.is_not_null(),
        "is not set" | "not set" => text.is_null(),
        other => {
            return Err(AnalyticsError::invalid(
                format!("{field}.op"),
                format!(
                    "unknown operator `{other}`; use =, !=, contains, not contains, in, not in, >, >=, <, <=, is set or is not set"
                ),
            ));
        }
    };
    Ok(Filter::Expr(expr))
}

fn equals(property: &Property, value: &Value) -> Expr {
    match (property, value) {
        (Property::Custom(_), Value::Number(n)) => binary_expr(
            property.number(),
            Operator::Eq,
            lit(n.as_f64().unwrap_or(f64::NAN)),
        ),
        _ => property.text().eq(lit(value_text(value))),
    }
}

/// A JSON value as the text `json_as_text` gives for it.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(value: Value) -> FilterSpec {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn columns_ids_and_custom_properties() {
        assert_eq!(
            Property::parse("country", Table::Events, "f").unwrap(),
            Property::Column("country".into())
        );
        assert_eq!(
            Property::parse("plan", Table::Events, "f").unwrap(),
            Property::Custom("plan".into())
        );
        assert_eq!(
            Property::parse("properties.country", Table::Events, "f").unwrap(),
            Property::Custom("country".into())
        );
        assert_eq!(
            Property::parse("country", Table::People, "f").unwrap(),
            Property::Custom("country".into())
        );
        assert_eq!(
            Property::parse("person_id", Table::Events, "f").unwrap(),
            Property::Id("person_id".into())
        );
        assert_eq!(
            Property::parse(" ", Table::Events, "breakdown[0]")
                .unwrap_err()
                .field(),
            Some("breakdown[0]")
        );
        assert!(Property::parse("time", Table::Events, "f").is_err());
    }

    #[test]
    fn malformed_filters_name_the_field() {
        let cases = [
            (json!({"op": "="}), "filters[0].property"),
            (json!({"property": "country", "op": "~"}), "filters[0].op"),
            (
                json!({"property": "country", "op": "="}),
                "filters[0].value",
            ),
            (
                json!({"property": "n", "op": ">", "value": "x"}),
                "filters[0].value",
            ),
            (
                json!({"property": "n", "op": "in", "value": 3}),
                "filters[0].value",
            ),
        ];
        for (value, field) in cases {
            let error = parse_filters(&[spec(value)], Table::Events, "filters").unwrap_err();
            assert_eq!(error.field(), Some(field));
        }
        assert!(serde_json::from_value::<FilterSpec>(json!({"propery": "x"})).is_err());
    }

    #[test]
    fn cohort_filters_are_left_to_the_caller() {
        let parsed = parse_filters(
            &[spec(json!({"not_cohort": "churned"}))],
            Table::Events,
            "filters",
        )
        .unwrap();
        match &parsed[0] {
            Filter::Cohort(c) => {
                assert_eq!(c.name, "churned");
                assert!(c.negated);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
