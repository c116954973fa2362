//! DataFusion tables over a [`Version`](crate::Version): `events`, `people` and `groups` of one project.
//!
//! * [`events`] scans the project's Parquet segments (skipping whole days outside the query's time range, then
//!   row groups by statistics) together with the in-memory buffers, and applies identity remaps so that every
//!   event of a merged person carries the surviving person's id;
//! * [`profiles`] reads people and groups from the metadata database, adding first/last seen times of events
//!   still in memory.

mod events;
mod profiles;
mod remap;

pub use events::{EventsTable, events};
pub use profiles::{groups, people};
