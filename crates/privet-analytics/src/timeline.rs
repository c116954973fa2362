//! Per-actor timelines: the rows a funnel, retention or flow query needs, regrouped so that each actor's events
//! are contiguous and in time order, then walked actor by actor on every core.
//!
//! Rows are sharded by actor (a person or an organisation), each shard is sorted by (actor, time, order) in its
//! own thread, and the caller's operator sees one actor's slice at a time, the way ClickHouse's `windowFunnel`
//! sees one group's events. Ties in time are broken by `order`, which the caller sets (funnels put earlier steps
//! first, so events logged in the same millisecond still convert).

/// One event of an actor's timeline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub actor: i64,
    pub time: i64,
    /// Tie-break among events at the same time (lower first).
    pub order: u32,
    /// What the event is to the query (a step mask, an event code, …).
    pub code: u32,
    /// The breakdown value's code.
    pub key: u32,
    /// Any other per-event code (held-constant values, …).
    pub extra: u32,
}

/// Groups `parts` by actor and calls `walk(state, rows_of_one_actor)` for every actor, in parallel; returns one
/// state per shard.
pub fn for_each_actor<S, I, W>(parts: Vec<Vec<Row>>, init: I, walk: W) -> Vec<S>
where
    S: Send,
    I: Fn() -> S + Sync,
    W: Fn(&mut S, &[Row]) + Sync,
{
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(1);
    let total: usize = parts.iter().map(Vec::len).sum();
    let shards = if total < 50_000 { 1 } else { threads };
    let mut sharded: Vec<Vec<Row>> = (0..shards)
        .map(|_| Vec::with_capacity(total / shards + 16))
        .collect();
    if shards == 1 {
        sharded[0] = parts.into_iter().flatten().collect();
    } else {
        for part in parts {
            for row in part {
                sharded[shard_of(row.actor, shards)].push(row);
            }
        }
    }
    let init = &init;
    let walk = &walk;
    std::thread::scope(|scope| {
        let handles: Vec<_> = sharded
            .into_iter()
            .map(|mut rows| {
                scope.spawn(move || {
                    // Stable sort on purpose: it finds and merges the runs the input already has (each
                    // segment arrives sorted by person and time), which beats a pattern-blind unstable sort.
                    rows.sort_by_key(|r| (r.actor, r.time, r.order));
                    let mut state = init();
                    for run in rows.chunk_by(|a, b| a.actor == b.actor) {
                        walk(&mut state, run);
                    }
                    state
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("timeline workers do not panic"))
            .collect()
    })
}

fn shard_of(actor: i64, shards: usize) -> usize {
    // Fibonacci hashing: pseudonyms are random already, but stay safe with sequential ids.
    ((actor as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize % shards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_contiguous_and_sorted() {
        let mut parts = vec![Vec::new(), Vec::new()];
        for i in 0..120_000i64 {
            parts[(i % 2) as usize].push(Row {
                actor: i % 1000,
                time: 1_000_000 - i,
                order: (i % 3) as u32,
                ..Default::default()
            });
        }
        let states = for_each_actor(
            parts,
            || (0usize, 0usize, true),
            |(actors, rows, sorted), run| {
                *actors += 1;
                *rows += run.len();
                *sorted &= run.windows(2).all(|w| w[0].time <= w[1].time)
                    && run.iter().all(|r| r.actor == run[0].actor);
            },
        );
        let actors: usize = states.iter().map(|s| s.0).sum();
        let rows: usize = states.iter().map(|s| s.1).sum();
        assert_eq!(actors, 1000);
        assert_eq!(rows, 120_000);
        assert!(states.iter().all(|s| s.2));
    }
}
