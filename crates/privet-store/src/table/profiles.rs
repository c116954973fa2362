//! The `people` and `groups` tables, read from the metadata database when a query first scans them (a query
//! that never mentions them never pays for loading every profile).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    AsArray, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{
    DataType, Field, Int64Type, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType,
};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::datasource::{MemTable, TableType};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use rusqlite::params;

use crate::meta::Meta;
use crate::schema::{PERSON_ID, TIME};
use crate::version::Version;

fn people_schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("person_id", DataType::Int64, false),
        Field::new("first_seen", ts.clone(), true),
        Field::new("last_seen", ts, true),
        Field::new("properties", DataType::Utf8, false),
    ]))
}

fn groups_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("group_key", DataType::Utf8, false),
        Field::new("group_id", DataType::Int64, false),
        Field::new("properties", DataType::Utf8, false),
    ]))
}

fn meta(version: &Version) -> Result<Meta> {
    Meta::open_read_only(&version.dir.join("meta.sqlite"))
        .map_err(|e| DataFusionError::External(Box::new(e)))
}

fn external(e: rusqlite::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// Builds the rows, all of them or only those whose key column equals the given id.
type Build = Box<dyn Fn(Option<i64>) -> Result<Arc<dyn TableProvider>> + Send + Sync>;

/// A table with a known schema whose rows are built when a scan asks for them. A filter `key = <id>` (one
/// person's or one organisation's profile) is pushed into the metadata query instead of loading every row.
struct Lazy {
    schema: SchemaRef,
    key: &'static str,
    build: Build,
}

impl std::fmt::Debug for Lazy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lazy")
            .field("schema", &self.schema)
            .finish()
    }
}

#[async_trait]
impl TableProvider for Lazy {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Inexact: the filters reach `scan`, and DataFusion still applies them to what it returns.
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        (self.build)(equal_id(filters, self.key))?
            .scan(state, projection, filters, limit)
            .await
    }
}

/// The id a conjunction of filters pins `column` to (`column = 42`), if any.
fn equal_id(filters: &[Expr], column: &str) -> Option<i64> {
    use datafusion::logical_expr::utils::split_conjunction;
    use datafusion::logical_expr::{BinaryExpr, Operator};
    let is_column = |e: &Expr| matches!(e, Expr::Column(c) if c.name == column);
    let literal = |e: &Expr| match e {
        Expr::Literal(ScalarValue::Int64(Some(v)), _) => Some(*v),
        _ => None,
    };
    filters
        .iter()
        .flat_map(split_conjunction)
        .find_map(|e| match e {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) => {
                if is_column(left) {
                    literal(right)
                } else if is_column(right) {
                    literal(left)
                } else {
                    None
                }
            }
            _ => None,
        })
}

/// The `people` table of `project`: every person with a profile or an event.
pub fn people(version: Arc<Version>, project: i64) -> Result<Arc<dyn TableProvider>> {
    Ok(Arc::new(Lazy {
        schema: people_schema(),
        key: "person_id",
        build: Box::new(move |id| load_people(&version, project, id)),
    }))
}

/// The `groups` table of `project`: organisations (and any other group key) with their properties.
pub fn groups(version: Arc<Version>, project: i64) -> Result<Arc<dyn TableProvider>> {
    Ok(Arc::new(Lazy {
        schema: groups_schema(),
        key: "group_id",
        build: Box::new(move |id| load_groups(&version, project, id)),
    }))
}

fn load_people(
    version: &Arc<Version>,
    project: i64,
    only: Option<i64>,
) -> Result<Arc<dyn TableProvider>> {
    struct Person {
        first: Option<i64>,
        last: Option<i64>,
        properties: String,
    }
    let mut people: HashMap<i64, Person> = HashMap::new();
    let mut order: Vec<i64> = Vec::new();
    {
        let meta = meta(version)?;
        let mut stmt = meta
            .connection()
            .prepare("SELECT person_id, first_seen, last_seen, properties FROM people WHERE project = ?1 AND (?2 IS NULL OR person_id = ?2) ORDER BY person_id")
            .map_err(external)?;
        let mut rows = stmt.query(params![project, only]).map_err(external)?;
        while let Some(r) = rows.next().map_err(external)? {
            let id: i64 = r.get(0).map_err(external)?;
            order.push(id);
            people.insert(
                id,
                Person {
                    first: r.get(1).map_err(external)?,
                    last: r.get(2).map_err(external)?,
                    properties: r.get(3).map_err(external)?,
                },
            );
        }
    }
    // Events not yet flushed also make people "seen".
    let remaps = version.remaps_of(project);
    for batch in version.memtable_batches(project) {
        let persons = batch.column(PERSON_ID).as_primitive::<Int64Type>();
        let times = batch
            .column(TIME)
            .as_primitive::<TimestampMicrosecondType>();
        for (person, time) in persons.iter().zip(times.values().iter()) {
            let Some(person) = person else { continue };
            let person = remaps.get(&person).copied().unwrap_or(person);
            if only.is_some_and(|only| only != person) {
                continue;
            }
            let entry = people.entry(person).or_insert_with(|| {
                order.push(person);
                Person {
                    first: None,
                    last: None,
                    properties: "{}".into(),
                }
            });
            entry.first = Some(entry.first.map_or(*time, |f| f.min(*time)));
            entry.last = Some(entry.last.map_or(*time, |l| l.max(*time)));
        }
    }
    let mut ids = Int64Builder::with_capacity(order.len());
    let mut first = TimestampMicrosecondBuilder::with_capacity(order.len()).with_timezone("UTC");
    let mut last = TimestampMicrosecondBuilder::with_capacity(order.len()).with_timezone("UTC");
    let mut props = StringBuilder::new();
    for id in order {
        let person = &people[&id];
        ids.append_value(id);
        first.append_option(person.first);
        last.append_option(person.last);
        props.append_value(&person.properties);
    }
    let schema = people_schema();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(ids.finish()),
            Arc::new(first.finish()),
            Arc::new(last.finish()),
            Arc::new(props.finish()),
        ],
    )?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

fn load_groups(
    version: &Arc<Version>,
    project: i64,
    only: Option<i64>,
) -> Result<Arc<dyn TableProvider>> {
    let meta = meta(version)?;
    let mut stmt = meta
        .connection()
        .prepare("SELECT group_key, group_id, properties FROM groups WHERE project = ?1 AND (?2 IS NULL OR group_id = ?2) ORDER BY group_key, group_id")
        .map_err(external)?;
    let mut keys = StringBuilder::new();
    let mut ids = Int64Builder::new();
    let mut props = StringBuilder::new();
    let mut rows = stmt.query(params![project, only]).map_err(external)?;
    while let Some(r) = rows.next().map_err(external)? {
        keys.append_value(r.get::<_, String>(0).map_err(external)?);
        ids.append_value(r.get(1).map_err(external)?);
        props.append_value(r.get::<_, String>(2).map_err(external)?);
    }
    let schema = groups_schema();
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(keys.finish()),
            Arc::new(ids.finish()),
            Arc::new(props.finish()),
        ],
    )?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::{col, lit};

    use super::*;

    #[test]
    fn an_equality_on_the_key_is_pushed_down() {
        let pinned = col("country")
            .eq(lit("DE"))
            .and(lit(7i64).eq(col("person_id")));
        assert_eq!(equal_id(&[pinned], "person_id"), Some(7));
        assert_eq!(
            equal_id(&[col("person_id").gt(lit(7i64))], "person_id"),
            None
        );
        assert_eq!(
            equal_id(&[col("group_id").eq(lit(3i64))], "person_id"),
            None
        );
        assert_eq!(equal_id(&[], "person_id"), None);
    }
}
