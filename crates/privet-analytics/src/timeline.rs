//! Per-actor timelines: the rows a funnel query needs, regrouped so that each actor's events are contiguous and
//! in time order, then walked actor by actor on every core.
//!
//! Actors are dense numbers (an [`crate::actors::ActorIndex`] position). Each core takes one shard of the
//! actors and groups its rows straight from the scan's partitions with a counting sort (one pass to count each
//! actor's rows, one to place each row in its actor's slot: linear, with no hashing and no intermediate copy,
//! where a comparison sort of millions of rows merged a hundred runs), then sorts each actor's few rows by time.
//! The caller's operator sees one actor's slice at a time, the way ClickHouse's `windowFunnel` sees one group's
//! events. Ties in time are broken by the lowest set bit of `code` (funnels give earlier steps lower bits, so
//! events logged in the same millisecond still convert), then by the other fields, so the walk never depends on
//! the order partitions arrived in.

/// One event of an actor's timeline (24 bytes: millions of them are regrouped per query).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub time: i64,
    /// The actor's number, below the `actors` given to [`for_each_actor`].
    pub actor: u32,
    /// What the event is to the query (a step mask, …); its lowest set bit orders events at the same time.
    pub code: u32,
    /// The breakdown value's code.
    pub key: u32,
    /// Any other per-event code (held-constant values, …).
    pub extra: u32,
}

/// Groups `parts` by actor (numbers below `actors`) and calls `walk(state, rows_of_one_actor)` for every actor
/// with rows, in parallel; returns one state per shard.
pub fn for_each_actor<S, I, W>(parts: Vec<Vec<Row>>, actors: usize, init: I, walk: W) -> Vec<S>
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
    let (parts, init, walk) = (&parts, &init, &walk);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..shards)
            .map(|shard| {
                scope.spawn(move || {
                    let mut state = init();
                    let (rows, ends) = group_by_actor(parts, Shard::new(shard, shards, actors));
                    let mut start = 0;
                    for end in ends {
                        walk(&mut state, &rows[start..end]);
                        start = end;
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

/// The actors `local * count + index` for `local < locals`.
#[derive(Clone, Copy)]
struct Shard {
    index: usize,
    count: usize,
    locals: usize,
}

impl Shard {
    fn new(index: usize, count: usize, actors: usize) -> Shard {
        Shard {
            index,
            count,
            locals: actors.div_ceil(count),
        }
    }

    /// The actor's number within the shard, if the shard has it.
    #[inline]
    fn local(self, row: &Row) -> Option<usize> {
        let actor = row.actor as usize;
        (actor % self.count == self.index).then_some(actor / self.count)
    }
}

/// The shard's rows of `parts` regrouped so that each actor's are contiguous and sorted by (time, lowest bit of
/// code, …), and where each actor's slice ends. Actors come in ascending order.
fn group_by_actor(parts: &[Vec<Row>], shard: Shard) -> (Vec<Row>, Vec<usize>) {
    let rows = || {
        parts
            .iter()
            .flatten()
            .filter_map(|r| shard.local(r).map(|l| (l, r)))
    };
    let mut next = vec![0usize; shard.locals];
    for (local, _) in rows() {
        next[local] += 1;
    }
    let mut ends = Vec::new();
    let mut total = 0;
    for slot in next.iter_mut() {
        let count = *slot;
        // From now on, the next free slot of the actor.
        *slot = total;
        total += count;
        if count > 0 {
            ends.push(total);
        }
    }
    let mut grouped = vec![Row::default(); total];
    for (local, row) in rows() {
        grouped[next[local]] = *row;
        next[local] += 1;
    }
    let mut start = 0;
    for &end in &ends {
        let run = &mut grouped[start..end];
        if run.len() > 1 {
            run.sort_unstable_by_key(|r| (r.time, r.code.trailing_zeros(), r.code, r.key, r.extra));
        }
        start = end;
    }
    (grouped, ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_contiguous_and_sorted() {
        let mut parts = vec![Vec::new(), Vec::new()];
        for i in 0..120_000i64 {
            parts[(i % 2) as usize].push(Row {
                actor: (i % 1000) as u32,
                time: 1_000_000 - i,
                code: 1 << (i % 3),
                ..Default::default()
            });
        }
        let states = for_each_actor(
            parts,
            1000,
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

    #[test]
    fn the_walk_does_not_depend_on_the_order_rows_arrive_in() {
        let rows: Vec<Row> = (0..60_000i64)
            .map(|i| Row {
                actor: (i % 7) as u32,
                time: i % 5,
                code: 1 << (i % 2),
                key: (i % 3) as u32,
                ..Default::default()
            })
            .collect();
        let walks = |parts: Vec<Vec<Row>>| {
            let mut runs =
                for_each_actor(parts, 7, Vec::new, |seen, run| seen.push(run.to_vec())).concat();
            runs.sort_by_key(|run| run[0].actor);
            runs
        };
        let forward = walks(vec![rows.clone()]);
        let mut reversed = rows.clone();
        reversed.reverse();
        let backward = walks(vec![
            reversed[..30_000].to_vec(),
            reversed[30_000..].to_vec(),
        ]);
        assert_eq!(forward.len(), 7);
        assert_eq!(forward, backward);
        for run in &forward {
            assert!(
                run.windows(2).all(|w| {
                    (w[0].time, w[0].code, w[0].key) <= (w[1].time, w[1].code, w[1].key)
                })
            );
        }
    }
}
