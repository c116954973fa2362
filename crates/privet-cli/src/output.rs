//! Printing query results: an aligned table, JSON, or CSV; and writing them to Parquet files.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use anyhow::Context;
use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use clap::ValueEnum;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use privet_query::QueryResult;
use serde_json::Value;

/// An empty table with a header, in the style every command prints.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(header.to_vec());
    table
}

/// How to print a result.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// A zstd-compressed Parquet file (needs --output).
    Parquet,
}

/// Renders a result in `format` (every format but Parquet, which is binary: see [`ParquetFile`]).
pub fn render(result: &QueryResult, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Parquet => {
            anyhow::bail!("Parquet is binary and is written to a file: add --output FILE")
        }
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

/// Rows per Parquet row group: large enough for fast scans, small enough to bound the writer's buffer.
const PARQUET_ROW_GROUP_ROWS: usize = 1 << 20;

/// A Parquet file being written batch by batch. It is written under a temporary name beside `path` and renamed
/// into place by [`ParquetFile::finish`], so a failed export never leaves a truncated file behind.
pub struct ParquetFile {
    path: PathBuf,
    partial: PathBuf,
    writer: Option<ArrowWriter<File>>,
    schema: SchemaRef,
    rows: usize,
}

impl ParquetFile {
    pub fn create(path: &Path, schema: SchemaRef) -> anyhow::Result<ParquetFile> {
        let mut name = path
            .file_name()
            .with_context(|| format!("--output {} is not a file name", path.display()))?
            .to_os_string();
        name.push(".partial");
        let partial = path.with_file_name(name);
        let file = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            .set_max_row_group_row_count(Some(PARQUET_ROW_GROUP_ROWS))
            .build();
        // Dictionary-encoded columns (`event`, the dimensions) are exported as their plain value type, which
        // every reader handles; Parquet still dictionary-encodes their pages.
        let plain: SchemaRef = Arc::new(Schema::new(
            schema
                .fields()
                .iter()
                .map(|f| match f.data_type() {
                    DataType::Dictionary(_, value) => {
                        f.as_ref().clone().with_data_type(value.as_ref().clone())
                    }
                    _ => f.as_ref().clone(),
                })
                .collect::<Vec<Field>>(),
        ));
        let writer = ArrowWriter::try_new(file, plain.clone(), Some(properties))
            .context("cannot write this result's columns to Parquet")?;
        Ok(ParquetFile {
            path: path.to_path_buf(),
            partial,
            writer: Some(writer),
            schema: plain,
            rows: 0,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> anyhow::Result<()> {
        let writer = self.writer.as_mut().expect("written before finish");
        let columns = batch
            .columns()
            .iter()
            .zip(self.schema.fields())
            .map(|(c, f)| arrow::compute::cast(c, f.data_type()))
            .collect::<Result<Vec<_>, _>>()?;
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        writer
            .write(&batch)
            .with_context(|| format!("cannot write {}", self.partial.display()))?;
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Closes the file and moves it into place; returns the number of rows written.
    pub fn finish(mut self) -> anyhow::Result<usize> {
        let writer = self.writer.take().expect("finished once");
        writer
            .close()
            .with_context(|| format!("cannot write {}", self.partial.display()))?;
        std::fs::rename(&self.partial, &self.path)
            .with_context(|| format!("cannot move the result to {}", self.path.display()))?;
        Ok(self.rows)
    }
}

impl Drop for ParquetFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// Turns a JSON query result (from a server's `/api/sql`) back into one Arrow batch with the columns' types.
/// Numbers, booleans, text, dates and timestamps keep their type; anything else (lists, structs, intervals…)
/// arrives as its display text and stays text.
pub fn result_to_batch(result: &QueryResult) -> anyhow::Result<RecordBatch> {
    if result.truncated {
        anyhow::bail!(
            "the server truncated the result at query.max_result_rows ({} rows); export on the data directory \
             (--data-dir instead of --url), which has no limit, or raise the server's query.max_result_rows",
            result.rows.len()
        );
    }
    if result.columns.is_empty() {
        anyhow::bail!(
            "the server's answer has no rows, so it does not say the columns' types; nothing to export"
        );
    }
    let mut names = std::collections::HashSet::new();
    let fields: Vec<Field> = result
        .columns
        .iter()
        .map(|c| {
            if !names.insert(c.name.as_str()) {
                anyhow::bail!(
                    "two result columns are named `{}`; give them distinct names with AS",
                    c.name
                );
            }
            let data_type = DataType::from_str(&c.data_type)
                .ok()
                .filter(json_typed)
                .unwrap_or(DataType::Utf8);
            Ok(Field::new(&c.name, data_type, true))
        })
        .collect::<anyhow::Result<_>>()?;
    let schema = Arc::new(Schema::new(fields));
    let mut decoder = arrow::json::ReaderBuilder::new(schema.clone())
        .with_batch_size(result.rows.len().max(1))
        .build_decoder()?;
    let objects: Vec<serde_json::Map<String, Value>> = result
        .rows
        .iter()
        .map(|row| {
            result
                .columns
                .iter()
                .zip(row)
                .map(|(c, v)| (c.name.clone(), v.clone()))
                .collect()
        })
        .collect();
    decoder
        .serialize(&objects)
        .context("cannot convert the server's answer to Arrow")?;
    Ok(decoder
        .flush()?
        .unwrap_or_else(|| RecordBatch::new_empty(schema)))
}

/// Types whose JSON form (see `privet_query::result`) converts back losslessly.
fn json_typed(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float32
            | DataType::Float64
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Date32
            | DataType::Timestamp(_, _)
    )
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
    fn json_result_converts_back_to_arrow() {
        let mut result = result();
        result.columns.push(Column {
            name: "t".into(),
            data_type: r#"Timestamp(µs, "UTC")"#.into(),
        });
        result.columns.push(Column {
            name: "l".into(),
            data_type: "List(Int64)".into(),
        });
        result.rows[0].extend([json!("2026-10-01T12:00:00Z"), json!("[1, 2]")]);
        result.rows[1].extend([json!(null), json!(null)]);
        let batch = result_to_batch(&result).unwrap();
        assert_eq!(batch.num_rows(), 2);
        let types: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().to_string())
            .collect();
        assert_eq!(types[1], "Int64");
        assert!(types[2].starts_with("Timestamp"), "{}", types[2]);
        assert_eq!(types[3], "Utf8");
        let path = tempfile::tempdir().unwrap();
        let file = path.path().join("r.parquet");
        let mut parquet = ParquetFile::create(&file, batch.schema()).unwrap();
        parquet.write(&batch).unwrap();
        assert_eq!(parquet.finish().unwrap(), 2);
        assert!(file.exists() && !path.path().join("r.parquet.partial").exists());

        result.truncated = true;
        assert!(result_to_batch(&result).is_err());
    }

    #[test]
    fn table_is_aligned() {
        let text = render(&result(), Format::Table).unwrap();
        assert!(text.contains("Signed, up"));
        assert!(text.ends_with("2 rows"));
    }
}
