//! Profiles: one person's pseudonymous profile with their recent events, and one organisation (group) with its
//! members, daily activity and most frequent events.
//!
//! Everything here is what the analytics store holds: pseudonyms and minimised properties. Real names and emails
//! live only in the identity vault and are never joined in.

use datafusion::dataframe::DataFrame;
use datafusion::functions_aggregate::expr_fn::{count, count_distinct};
use datafusion::logical_expr::{SortExpr, col, lit};
use privet_query::QueryResult;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{AnalyticsError, Result};
use crate::property::{Property, Table};
use crate::{Scope, time_lit};

const RECENT_EVENTS: usize = 100;
const MEMBERS: usize = 200;
const ACTIVITY_DAYS: i64 = 30;

/// A person's profile.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PersonProfile {
    pub person_id: i64,
    pub first_seen: Value,
    pub last_seen: Value,
    pub properties: Value,
    pub event_count: u64,
    pub events: Vec<Map<String, Value>>,
}

/// An organisation's profile.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GroupProfile {
    pub group_key: String,
    pub group_id: i64,
    pub properties: Value,
    pub members: Vec<Map<String, Value>>,
    pub activity: Vec<Map<String, Value>>,
    pub top_events: Vec<Map<String, Value>>,
}

/// `GET /api/people/{person_id}`; `None` when the person has neither a profile nor events.
pub async fn person(scope: &Scope<'_>, person_id: i64) -> Result<Option<PersonProfile>> {
    let people = scope
        .ctx
        .table("people")
        .await?
        .filter(col("person_id").eq(lit(person_id)))?;
    let profile = objects(people).await?.into_iter().next();
    let events = scope
        .ctx
        .table("events")
        .await?
        .filter(col("person_id").eq(lit(person_id)))?;
    let event_count = events.clone().count().await? as u64;
    if profile.is_none() && event_count == 0 {
        return Ok(None);
    }
    let recent = events
        .sort(vec![SortExpr::new(col("time"), false, false)])?
        .limit(0, Some(RECENT_EVENTS))?
        .select(vec![
            col("time"),
            col("event"),
            col("country"),
            col("region"),
            col("city"),
            col("os"),
            col("browser"),
            col("device_type"),
            col("referrer_domain"),
            col("url_path"),
            col("properties"),
        ])?;
    let mut events = objects(recent).await?;
    for event in &mut events {
        parse_json_field(event, "properties");
    }
    let mut profile = profile.unwrap_or_default();
    parse_json_field(&mut profile, "properties");
    Ok(Some(PersonProfile {
        person_id,
        first_seen: profile.remove("first_seen").unwrap_or(Value::Null),
        last_seen: profile.remove("last_seen").unwrap_or(Value::Null),
        properties: profile
            .remove("properties")
            .unwrap_or_else(|| Value::Object(Map::new())),
        event_count,
        events,
    }))
}

/// `GET /api/groups/{group_key}/{group_id}`; `None` when the organisation has neither a profile nor events.
pub async fn group(scope: &Scope<'_>, key: &str, id: i64) -> Result<Option<GroupProfile>> {
    let property = Property::parse(key, Table::Events, "group_key")?;
    if !matches!(property, Property::Custom(_)) {
        return Err(AnalyticsError::invalid(
            "group_key",
            format!("`{key}` is a column, not a group key such as org_id"),
        ));
    }
    let profile = scope.ctx.table("groups").await?.filter(
        col("group_key")
            .eq(lit(key))
            .and(col("group_id").eq(lit(id))),
    )?;
    let profile = objects(profile).await?.into_iter().next();
    let events = scope
        .ctx
        .table("events")
        .await?
        .filter(property.id().eq(lit(id)))?;
    let members = events
        .clone()
        .filter(col("person_id").is_not_null())?
        .aggregate(
            vec![col("person_id")],
            vec![
                count(lit(1)).alias("events"),
                datafusion::functions_aggregate::expr_fn::max(col("time")).alias("last_seen"),
            ],
        )?
        .sort(vec![
            SortExpr::new(col("events"), false, false),
            SortExpr::new(col("person_id"), true, false),
        ])?
        .limit(0, Some(MEMBERS))?;
    let members = objects(members).await?;
    if profile.is_none() && members.is_empty() {
        return Ok(None);
    }
    let since = scope.now_us - ACTIVITY_DAYS * 86_400_000_000;
    let day = datafusion::functions::datetime::expr_fn::date_trunc(lit("day"), col("time"));
    let activity = events
        .clone()
        .filter(col("time").gt_eq(time_lit(since)))?
        .aggregate(
            vec![day.alias("day")],
            vec![
                count(lit(1)).alias("events"),
                count_distinct(col("person_id")).alias("people"),
            ],
        )?
        .sort(vec![SortExpr::new(col("day"), true, false)])?;
    let top_events = events
        .aggregate(vec![col("event")], vec![count(lit(1)).alias("count")])?
        .sort(vec![
            SortExpr::new(col("count"), false, false),
            SortExpr::new(col("event"), true, false),
        ])?
        .limit(0, Some(20))?;
    let mut profile = profile.unwrap_or_default();
    parse_json_field(&mut profile, "properties");
    Ok(Some(GroupProfile {
        group_key: key.to_string(),
        group_id: id,
        properties: profile
            .remove("properties")
            .unwrap_or_else(|| Value::Object(Map::new())),
        members,
        activity: objects(activity).await?,
        top_events: objects(top_events).await?,
    }))
}

/// A small result as JSON objects keyed by column name.
async fn objects(df: DataFrame) -> Result<Vec<Map<String, Value>>> {
    let batches = df.collect().await?;
    let result = QueryResult::from_batches(&batches, usize::MAX);
    Ok(result
        .rows
        .into_iter()
        .map(|row| {
            result
                .columns
                .iter()
                .map(|c| c.name.clone())
                .zip(row)
                .collect()
        })
        .collect())
}

/// Turns a JSON-text column into JSON.
fn parse_json_field(object: &mut Map<String, Value>, name: &str) {
    if let Some(Value::String(text)) = object.get(name)
        && let Ok(value) = serde_json::from_str::<Value>(text)
    {
        object.insert(name.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{Fixture, ev};

    #[tokio::test]
    async fn people_and_organisations() {
        let f = Fixture::with_people(
            &[
                ev(1, "Signed up", "2026-11-20T10:00:00Z").props(json!({"org_id": 7})),
                ev(1, "Made API call", "2026-11-21T10:00:00Z").props(json!({"org_id": 7})),
                ev(2, "Made API call", "2026-11-21T11:00:00Z").props(json!({"org_id": 7})),
                ev(2, "Made API call", "2026-11-22T11:00:00Z").props(json!({"org_id": 7})),
                ev(3, "Made API call", "2026-11-22T11:00:00Z").props(json!({"org_id": 8})),
            ],
            &[(1, json!({"plan": "pro"}))],
        )
        .await;
        let scope = f.scope();
        let p = person(&scope, 1).await.unwrap().unwrap();
        assert_eq!(p.properties, json!({"plan": "pro"}));
        assert_eq!(p.event_count, 2);
        assert_eq!(p.events[0]["event"], json!("Made API call"));
        assert_eq!(p.events[0]["properties"], json!({"org_id": 7}));
        assert!(person(&scope, 99).await.unwrap().is_none());

        let g = group(&scope, "org_id", 7).await.unwrap().unwrap();
        let members: Vec<(Value, Value)> = g
            .members
            .iter()
            .map(|m| (m["person_id"].clone(), m["events"].clone()))
            .collect();
        assert_eq!(members, [(json!(1), json!(2)), (json!(2), json!(2))]);
        assert_eq!(g.activity.len(), 3);
        assert_eq!(g.activity[1]["events"], json!(2));
        assert_eq!(g.activity[1]["people"], json!(2));
        assert_eq!(g.top_events[0]["event"], json!("Made API call"));
        assert_eq!(g.top_events[0]["count"], json!(3));
        assert!(group(&scope, "org_id", 9).await.unwrap().is_none());
        assert_eq!(
            group(&scope, "country", 1).await.unwrap_err().field(),
            Some("group_key")
        );
    }
}
