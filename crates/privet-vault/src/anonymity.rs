//! k-anonymity counters: a city, a region, or an OS/browser combination is written to the analytics store only
//! once at least `k` distinct people have been seen with it. Until then the pipeline stores something coarser.
//!
//! Members are counted by a keyed hash of their pseudonym (so a stolen vault does not say who was seen in which
//! small town) and forgotten as soon as the value opens; open values are remembered for good.

use hashbrown::{HashMap, HashSet};
use parking_lot::Mutex;
use privet_model::Pseudonym;
use rusqlite::Connection;

use crate::writer::Op;
use crate::{Result, Vault};

enum Place {
    Open,
    Counting(HashSet<[u8; 16]>),
}

/// The counters, loaded from the vault at start and kept in memory.
pub struct Anonymity {
    places: Mutex<HashMap<String, HashMap<String, Place>>>,
}

impl Anonymity {
    pub(crate) fn load(conn: &Connection) -> Result<Anonymity> {
        let mut places: HashMap<String, HashMap<String, Place>> = HashMap::new();
        let mut stmt = conn.prepare("SELECT dimension, value, open FROM anonymity")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
            ))
        })?;
        for row in rows {
            let (dimension, value, open) = row?;
            let place = if open {
                Place::Open
            } else {
                Place::Counting(HashSet::new())
            };
            places.entry(dimension).or_default().insert(value, place);
        }
        let mut stmt = conn.prepare("SELECT dimension, value, member FROM anonymity_members")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        for row in rows {
            let (dimension, value, member) = row?;
            if let (Some(Place::Counting(members)), Ok(member)) = (
                places.entry(dimension).or_default().get_mut(value.as_str()),
                <[u8; 16]>::try_from(member.as_slice()),
            ) {
                members.insert(member);
            }
        }
        Ok(Anonymity {
            places: Mutex::new(places),
        })
    }

    /// How many values of `dimension` are open (for status pages and tests).
    pub fn open_count(&self, dimension: &str) -> usize {
        self.places.lock().get(dimension).map_or(0, |values| {
            values.values().filter(|p| matches!(p, Place::Open)).count()
        })
    }
}

impl Vault {
    /// Notes that `person` was seen with `value` of `dimension` (e.g. `city`, `Lyon|FR`) and says whether the
    /// value may be stored: true once at least `k` distinct people have been seen with it, this one included.
    pub fn admit(&self, dimension: &str, value: &str, person: Option<Pseudonym>, k: usize) -> bool {
        if k <= 1 {
            return true;
        }
        let anonymity = self.anonymity();
        let mut places = anonymity.places.lock();
        let values = match places.get_mut(dimension) {
            Some(values) => values,
            None => places.entry(dimension.to_string()).or_default(),
        };
        if let Some(Place::Open) = values.get(value) {
            return true;
        }
        // Events without a person cannot count towards k (one anonymous visitor could be many or one).
        let Some(person) = person else {
            return false;
        };
        let member = self.member_hash(person.0);
        let place = match values.get_mut(value) {
            Some(place) => place,
            None => values
                .entry(value.to_string())
                .or_insert_with(|| Place::Counting(HashSet::new())),
        };
        let Place::Counting(members) = place else {
            return true;
        };
        if members.insert(member) {
            if members.len() >= k {
                *place = Place::Open;
                self.push(Op::Open {
                    dimension: dimension.to_string(),
                    value: value.to_string(),
                });
                return true;
            }
            self.push(Op::Member {
                dimension: dimension.to_string(),
                value: value.to_string(),
                member,
            });
        }
        false
    }
}
