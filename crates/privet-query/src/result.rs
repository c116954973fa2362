//! Query results as JSON: `{"columns":[{"name":…,"type":…}],"rows":[[…],…],"truncated":false}`.
//!
//! Integers and floats become JSON numbers, booleans booleans, nulls `null`, timestamps RFC 3339 text, and
//! everything else its display text.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A result column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
}

/// A query result, shaped for JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// True when more rows existed than were returned.
    #[serde(default)]
    pub truncated: bool,
}

impl QueryResult {
    /// Converts batches, keeping at most `max_rows` rows.
    pub fn from_batches(batches: &[RecordBatch], max_rows: usize) -> QueryResult {
        let columns = batches
            .first()
            .map(|b| {
                b.schema()
                    .fields()
                    .iter()
                    .map(|f| Column {
                        name: f.name().clone(),
                        // Dictionary encoding is storage detail: a dictionary of strings is a string column.
                        data_type: match f.data_type() {
                            DataType::Dictionary(_, value) => value.to_string(),
                            other => other.to_string(),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut rows = Vec::new();
        let mut truncated = false;
        'batches: for batch in batches {
            let cells: Vec<Vec<Value>> = batch
                .columns()
                .iter()
                .map(|c| column_values(c.as_ref()))
                .collect();
            for row in 0..batch.num_rows() {
                if rows.len() >= max_rows {
                    truncated = true;
                    break 'batches;
                }
                rows.push(cells.iter().map(|c| c[row].clone()).collect());
            }
        }
        QueryResult {
            columns,
            rows,
            truncated,
        }
    }
}

macro_rules! numbers {
    ($array:expr, $ty:ty) => {
        $array
            .as_primitive::<$ty>()
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect()
    };
}

fn column_values(array: &dyn Array) -> Vec<Value> {
    match array.data_type() {
        DataType::Int8 => numbers!(array, Int8Type),
        DataType::Int16 => numbers!(array, Int16Type),
        DataType::Int32 => numbers!(array, Int32Type),
        DataType::Int64 => numbers!(array, Int64Type),
        DataType::UInt8 => numbers!(array, UInt8Type),
        DataType::UInt16 => numbers!(array, UInt16Type),
        DataType::UInt32 => numbers!(array, UInt32Type),
        DataType::UInt64 => numbers!(array, UInt64Type),
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .iter()
            .map(|v| {
                v.and_then(|f| serde_json::Number::from_f64(f as f64))
                    .map_or(Value::Null, Value::Number)
            })
            .collect(),
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .iter()
            .map(|v| {
                v.and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            })
            .collect(),
        DataType::Boolean => array
            .as_boolean()
            .iter()
            .map(|v| v.map_or(Value::Null, Value::Bool))
            .collect(),
        DataType::Null => vec![Value::Null; array.len()],
        _ => {
            let options = FormatOptions::default().with_null("");
            match ArrayFormatter::try_new(array, &options) {
                Ok(formatter) => (0..array.len())
                    .map(|i| {
                        if array.is_null(i) {
                            Value::Null
                        } else {
                            Value::String(formatter.value(i).to_string())
                        }
                    })
                    .collect(),
                Err(_) => vec![Value::Null; array.len()],
            }
        }
    }
}
