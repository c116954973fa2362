//! Printing query results: an aligned table, JSON, or CSV.

use clap::ValueEnum;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use privet_query::QueryResult;
use serde_json::Value;

/// How to print a result.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Renders a result in `format`.
pub fn render(result: &QueryResult, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(result)?,
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(result.columns.iter().map(|c| c.name.as_str()))?;
            for row in &result.rows {
                writer.write_record(row.iter().map(cell))?;
            }
            String::from_utf8(writer.into_inner()?)?
        }
        Format::Table => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            table.set_header(result.columns.iter().map(|c| c.name.as_str()));
            for row in &result.rows {
                table.add_row(row.iter().map(cell));
            }
            let mut text = table.to_string();
            let rows = result.rows.len();
            text.push_str(&format!(
                "\n{rows} row{}{}",
                if rows == 1 { "" } else { "s" },
                if result.truncated { " (truncated)" } else { "" }
            ));
            text
        }
    })
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use privet_query::Column;
    use serde_json::json;

    fn result() -> QueryResult {
        QueryResult {
            columns: vec![
                Column {
                    name: "event".into(),
                    data_type: "Utf8".into(),
                },
                Column {
                    name: "n".into(),
                    data_type: "Int64".into(),
                },
            ],
            rows: vec![
                vec![json!("Signed, up"), json!(3)],
                vec![json!(null), json!(1)],
            ],
            truncated: false,
        }
    }

    #[test]
    fn csv_quotes_and_nulls() {
        assert_eq!(
            render(&result(), Format::Csv).unwrap(),
            "event,n\n\"Signed, up\",3\n,1\n"
        );
    }

    #[test]
    fn table_is_aligned() {
        let text = render(&result(), Format::Table).unwrap();
        assert!(text.contains("Signed, up"));
        assert!(text.ends_with("2 rows"));
    }
}
