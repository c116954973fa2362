//! The Arrow schema of stored events and the conversion of rows into record batches.
//!
//! Segments and in-memory batches use the *file* schema: the public columns followed by two hidden ones, `_dedup`
//! (the `$insert_id` deduplication key, used by compaction) and `_sealed` (the place and client values a row is
//! stored without until `k` people share them, encrypted; see `privet_model::withheld` and [`crate::publication`]).
//! SQL sees the *table* schema, which is the file schema without the hidden columns; because they are last,
//! column indices are the same in both.
//!
//! `event` and the dimension columns are dictionary-encoded (`Dictionary(Int32, Utf8)`): a few hundred distinct
//! values over millions of rows. Parquet stores them as dictionary pages anyway, and reading them as Arrow
//! dictionaries skips materialising a string per row, so filters such as `event IN (…)` and breakdowns compare
//! a handful of values and then integer keys.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BinaryBuilder, Int64Builder, RecordBatch, StringBuilder, StringDictionaryBuilder,
    TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use privet_model::EventRow;

/// Names of the dimension columns, in schema order (they follow `device_id`).
pub const DIMENSION_COLUMNS: [&str; 15] = [
    "country",
    "region",
    "city",
    "os",
    "os_version",
    "browser",
    "browser_version",
    "device_type",
    "referrer_domain",
    "referrer_type",
    "url_path",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "lib",
];

/// The name of the hidden deduplication column.
pub const DEDUP_COLUMN: &str = "_dedup";
/// The name of the hidden column of sealed, withheld dimensions.
pub const SEALED_COLUMN: &str = "_sealed";

/// Index of the `time` column.
pub const TIME: usize = 0;
/// Index of the `insert_id` column.
pub const INSERT_ID: usize = 2;
/// Index of the `event` column.
pub const EVENT: usize = 1;
/// Index of the `person_id` column.
pub const PERSON_ID: usize = 3;
/// Index of the first dimension column (`country`).
pub const DIMENSIONS: usize = 5;
/// Index of the hidden `_dedup` column.
pub const DEDUP: usize = DIMENSIONS + DIMENSION_COLUMNS.len() + 1;
/// Index of the hidden `_sealed` column.
pub const SEALED: usize = DEDUP + 1;

static FILE_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let mut fields = vec![
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("event", dictionary(), false),
        Field::new("insert_id", DataType::Utf8, true),
        Field::new("person_id", DataType::Int64, true),
        Field::new("device_id", DataType::Int64, true),
    ];
    fields.extend(
        DIMENSION_COLUMNS
            .iter()
            .map(|name| Field::new(*name, dictionary(), true)),
    );
    fields.push(Field::new("properties", DataType::Utf8, false));
    fields.push(Field::new(DEDUP_COLUMN, DataType::UInt64, true));
    fields.push(Field::new(SEALED_COLUMN, DataType::Binary, true));
    Arc::new(Schema::new(fields))
});

/// The type of `event` and the dimension columns.
pub fn dictionary() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

static TABLE_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let fields: Vec<Field> = FILE_SCHEMA
        .fields()
        .iter()
        .filter(|f| f.name() != DEDUP_COLUMN && f.name() != SEALED_COLUMN)
        .map(|f| f.as_ref().clone())
        .collect();
    Arc::new(Schema::new(fields))
});

/// The schema of segment files and in-memory batches (public columns + `_dedup` + `_sealed`).
pub fn file_schema() -> SchemaRef {
    FILE_SCHEMA.clone()
}

/// The public schema of the `events` table.
pub fn table_schema() -> SchemaRef {
    TABLE_SCHEMA.clone()
}

/// Converts rows into one record batch in the file schema.
pub fn rows_to_batch<'a>(rows: impl ExactSizeIterator<Item = &'a EventRow>) -> RecordBatch {
    let n = rows.len();
    let mut time = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut event = StringDictionaryBuilder::<Int32Type>::new();
    let mut insert_id = StringBuilder::with_capacity(n, n * 32);
    let mut person = Int64Builder::with_capacity(n);
    let mut device = Int64Builder::with_capacity(n);
    let mut dims: Vec<StringDictionaryBuilder<Int32Type>> = (0..DIMENSION_COLUMNS.len())
        .map(|_| StringDictionaryBuilder::new())
        .collect();
    let mut properties = StringBuilder::with_capacity(n, n * 64);
    let mut dedup = UInt64Builder::with_capacity(n);
    let mut sealed = BinaryBuilder::new();
    for row in rows {
        time.append_value(row.time_us);
        event.append_value(&row.name);
        insert_id.append_option(row.insert_id.as_deref());
        person.append_option(row.person_id);
        device.append_option(row.device_id);
        let d = &row.dims;
        let values = [
            &d.country,
            &d.region,
            &d.city,
            &d.os,
            &d.os_version,
            &d.browser,
            &d.browser_version,
            &d.device_type,
            &d.referrer_domain,
            &d.referrer_type,
            &d.url_path,
            &d.utm_source,
            &d.utm_medium,
            &d.utm_campaign,
            &d.lib,
        ];
        for (builder, value) in dims.iter_mut().zip(values) {
            builder.append_option(value.as_deref());
        }
        properties.append_value(&row.properties);
        dedup.append_option(row.dedup_key);
        sealed.append_option(row.sealed.as_deref());
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(time.finish()),
        Arc::new(event.finish()),
        Arc::new(insert_id.finish()),
        Arc::new(person.finish()),
        Arc::new(device.finish()),
    ];
    columns.extend(dims.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    columns.push(Arc::new(properties.finish()));
    columns.push(Arc::new(dedup.finish()));
    columns.push(Arc::new(sealed.finish()));
    RecordBatch::try_new(file_schema(), columns).expect("columns match the file schema")
}

#[cfg(test)]
mod tests {
    use super::*;
    use privet_model::Dimensions;

    #[test]
    fn table_schema_hides_dedup_and_sealed_and_keeps_indices() {
        let file = file_schema();
        let table = table_schema();
        assert_eq!(table.fields().len() + 2, file.fields().len());
        assert_eq!(file.field(DEDUP).name(), DEDUP_COLUMN);
        assert_eq!(file.field(SEALED).name(), SEALED_COLUMN);
        assert_eq!(file.field(DIMENSIONS).name(), DIMENSION_COLUMNS[0]);
        for (i, field) in table.fields().iter().enumerate() {
            assert_eq!(file.field(i).name(), field.name());
        }
        assert_eq!(table.field(PERSON_ID).name(), "person_id");
        assert_eq!(table.field(TIME).name(), "time");
        assert_eq!(table.field(EVENT).name(), "event");
    }

    #[test]
    fn rows_become_a_batch() {
        let rows = [EventRow {
            time_us: 1,
            name: "Signed up".into(),
            insert_id: Some("abc".into()),
            person_id: Some(7),
            device_id: None,
            dims: Dimensions {
                country: Some("DE".into()),
                ..Default::default()
            },
            properties: "{}".into(),
            dedup_key: Some(9),
            sealed: None,
        }];
        let batch = rows_to_batch(rows.iter());
        assert_eq!(batch.num_rows(), 1);
        assert_eq!(batch.schema(), file_schema());
    }
}
