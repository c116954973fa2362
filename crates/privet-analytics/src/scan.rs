//! Reading events for an analysis: a filtered, projected DataFusion scan whose record batches are folded, one
//! task per partition, into compact per-query state (integer codes instead of strings).
//!
//! Every analysis is the same two halves: DataFusion does what it is good at (pruning segments by time, decoding
//! Parquet, evaluating filters and JSON property lookups, vectorised), and a hand-written operator walks the
//! resulting columns once, in the shape the question needs (counts per bucket, per-person timelines, …).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use datafusion::dataframe::DataFrame;
use futures::StreamExt;
use hashbrown::HashMap;
use parking_lot::Mutex;

use crate::error::{AnalyticsError, Result};

/// Runs `df` and folds each partition's batches into its own state, in parallel.
pub async fn fold<S, I, F>(df: DataFrame, init: I, step: F) -> Result<Vec<S>>
where
    S: Send + 'static,
    I: Fn() -> S,
    F: Fn(&mut S, &RecordBatch) -> Result<()> + Send + Sync + 'static,
{
    let streams = df.execute_stream_partitioned().await?;
    let step = Arc::new(step);
    let mut tasks = Vec::with_capacity(streams.len());
    for mut stream in streams {
        let step = step.clone();
        let mut state = init();
        tasks.push(tokio::spawn(async move {
            while let Some(batch) = stream.next().await {
                step(&mut state, &batch?)?;
            }
            Ok::<S, AnalyticsError>(state)
        }));
    }
    let mut states = Vec::with_capacity(tasks.len());
    for task in tasks {
        let state = task
            .await
            .map_err(|e| AnalyticsError::invalid("", format!("an analysis task failed: {e}")))??;
        states.push(state);
    }
    Ok(states)
}

/// Strings to dense codes, shared by the partitions of one query. Code 0 is "no value" (NULL).
#[derive(Debug, Default)]
pub struct Interner {
    inner: Mutex<Codes>,
}

#[derive(Debug)]
struct Codes {
    map: HashMap<String, u32>,
    values: Vec<Option<String>>,
}

impl Default for Codes {
    fn default() -> Self {
        Codes {
            map: HashMap::new(),
            values: vec![None],
        }
    }
}

impl Interner {
    /// An interner whose first codes (from 1) are `names`, in order.
    pub fn with(names: &[String]) -> Interner {
        let interner = Interner::default();
        for name in names {
            interner.code(name);
        }
        interner
    }

    /// The code of one string.
    pub fn code(&self, value: &str) -> u32 {
        let mut codes = self.inner.lock();
        if let Some(code) = codes.map.get(value) {
            return *code;
        }
        let code = codes.values.len() as u32;
        codes.values.push(Some(value.to_string()));
        codes.map.insert(value.to_string(), code);
        code
    }

    /// The code of a string if it was seen.
    pub fn get(&self, value: &str) -> Option<u32> {
        self.inner.lock().map.get(value).copied()
    }

    /// The codes of a text column, one lock per distinct value in the batch rather than per row. Dictionary
    /// columns (`event`, the dimensions) are coded through their dictionary: once per value, then per key.
    pub fn codes(&self, array: &ArrayRef) -> Vec<u32> {
        if let Some(codes) = per_dictionary_value(array, |v| v.map_or(0, |v| self.code(v))) {
            return codes;
        }
        let text = as_text(array);
        let mut local: HashMap<&str, u32> = HashMap::new();
        let mut out = Vec::with_capacity(text.len());
        for value in text.iter() {
            out.push(match value {
                None => 0,
                Some(value) => match local.get(value) {
                    Some(code) => *code,
                    None => {
                        let code = self.code(value);
                        local.insert(value, code);
                        code
                    }
                },
            });
        }
        out
    }

    /// The strings, indexed by code (`None` for code 0).
    pub fn values(&self) -> Vec<Option<String>> {
        self.inner.lock().values.clone()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= 1
    }
}

/// `f` of every row of a dictionary-encoded text column, computed once per dictionary value (NULL rows get
/// `f(None)`); `None` when the column is not a dictionary.
pub fn per_dictionary_value<T: Copy>(
    array: &ArrayRef,
    mut f: impl FnMut(Option<&str>) -> T,
) -> Option<Vec<T>> {
    let dictionary = array.as_dictionary_opt::<Int32Type>()?;
    let values = dictionary.values().as_string_opt::<i32>()?;
    let by_key: Vec<T> = values.iter().map(&mut f).collect();
    let null = f(None);
    let keys = dictionary.keys();
    // Without NULL keys, a plain gather over the key buffer (a value that is itself NULL got `f(None)` above).
    if keys.null_count() == 0 {
        return Some(keys.values().iter().map(|k| by_key[*k as usize]).collect());
    }
    Some(
        keys.iter()
            .map(|k| k.map_or(null, |k| by_key[k as usize]))
            .collect(),
    )
}

/// A text column as a `StringArray` (casting views and dictionaries).
pub fn as_text(array: &ArrayRef) -> std::borrow::Cow<'_, StringArray> {
    match array.data_type() {
        DataType::Utf8 => std::borrow::Cow::Borrowed(array.as_string::<i32>()),
        _ => {
            let cast = arrow::compute::cast(array, &DataType::Utf8)
                .expect("text-like columns cast to Utf8");
            std::borrow::Cow::Owned(cast.as_string::<i32>().clone())
        }
    }
}

/// An `Int64` column (nulls kept).
pub fn ints(batch: &RecordBatch, index: usize) -> &arrow::array::Int64Array {
    batch.column(index).as_primitive::<Int64Type>()
}

/// A `Float64` column (nulls kept).
pub fn floats(batch: &RecordBatch, index: usize) -> &arrow::array::Float64Array {
    batch.column(index).as_primitive::<Float64Type>()
}

/// The `time` column's microseconds.
pub fn times(batch: &RecordBatch, index: usize) -> &[i64] {
    batch
        .column(index)
        .as_primitive::<TimestampMicrosecondType>()
        .values()
}

/// The `i`-th value of a nullable column as an `Option`.
#[inline]
pub fn opt<T: arrow::datatypes::ArrowPrimitiveType>(
    array: &arrow::array::PrimitiveArray<T>,
    i: usize,
) -> Option<T::Native> {
    array.is_valid(i).then(|| array.value(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_shared_and_null_is_zero() {
        let interner = Interner::with(&["Signed up".to_string()]);
        let array: ArrayRef = Arc::new(StringArray::from(vec![
            Some("Viewed"),
            None,
            Some("Signed up"),
            Some("Viewed"),
        ]));
        assert_eq!(interner.codes(&array), vec![2, 0, 1, 2]);
        let values = interner.values();
        assert_eq!(values[0], None);
        assert_eq!(values[2].as_deref(), Some("Viewed"));
        assert_eq!(interner.get("Viewed"), Some(2));
        assert_eq!(interner.get("Other"), None);
        let dictionary: arrow::array::DictionaryArray<Int32Type> =
            vec![Some("Viewed"), None, Some("Paid"), Some("Viewed")]
                .into_iter()
                .collect();
        let array: ArrayRef = Arc::new(dictionary);
        assert_eq!(interner.codes(&array), vec![2, 0, 3, 2]);
    }
}
