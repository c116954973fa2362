//! The identity vault: the only place where Privet keeps real identifiers and personal fields.
//!
//! The analytics store holds pseudonyms: random numbers. The vault (`<data-dir>/vault/vault.sqlite`, never read
//! by the query engine) holds, per *subject* (one identifier of a person, or one organisation):
//!
//! * a random **pseudonym**, found from the value through a keyed lookup hash (see [`crypto`]), so a stolen store
//!   cannot be joined to a list of guessed emails: a pseudonym is not a function of the value;
//! * the identifier itself and the subject's personal fields (`$email`, `$name`, …), encrypted under the subject's
//!   own **data key**, which is wrapped by the master key ([`master_key`]);
//! * lookup hashes of emails, phone numbers and names, so an erasure request or a leaked dataset can be matched.
//!
//! Erasing a subject deletes its data key and its rows ([`Vault::erase`]; SQLite's `secure_delete` overwrites
//! the freed pages): the pseudonym stays in the events as an anonymous statistic that nothing links to anyone.
//!
//! Writes are group-committed by one writer thread, like the event log: callers get a [`Ticket`] and wait for
//! it ([`Vault::sync`]) before they acknowledge anything that uses a new pseudonym, so an acknowledged event never
//! refers to a mapping that a crash could lose.

pub mod crypto;
mod db;
pub mod master_key;
mod published;
mod writer;

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use std::hash::BuildHasher;

use hashbrown::HashMap;
use parking_lot::Mutex;
use privet_model::byteset::ByteSet;
use privet_model::{ProjectId, Pseudonym};
use rand::RngCore;

use crypto::Key;
pub use master_key::KeySource;
pub use published::{Published, PublishedSets};
use writer::{Op, Writer};

/// What kind of identifier a value is. Person ids (`distinct_id`, `$device_id`, `$user_id`) share one namespace
/// per project; each group key (`org_id`, …) has its own.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum IdKind<'a> {
    Person,
    Group(&'a str),
    /// The values of a property the policy pseudonymises.
    Property(&'a str),
}

impl IdKind<'_> {
    /// The kind's class (`p`, `g` or `v`) and name: the group key or property name, empty for a person.
    fn parts(&self) -> (u8, &str) {
        match self {
            IdKind::Person => (b'p', ""),
            IdKind::Group(key) => (b'g', key),
            IdKind::Property(name) => (b'v', name),
        }
    }

    /// The tag stored with a subject and hashed into its lookups: `p`, `g:KEY` or `v:NAME`.
    fn tag(&self) -> String {
        let (class, name) = self.parts();
        let class = char::from(class);
        match self {
            IdKind::Person => class.to_string(),
            _ => format!("{class}:{name}"),
        }
    }
}

/// How a personal field is normalised for lookups (so `Ada@Example.com ` finds `ada@example.com`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FieldClass {
    Email,
    Phone,
    Name,
    Other,
}

impl FieldClass {
    /// The class of a property name such as `$email` or `phone_number`.
    pub fn of(name: &str) -> FieldClass {
        let name = name.trim_start_matches('$').to_ascii_lowercase();
        if name.contains("email") {
            FieldClass::Email
        } else if name.contains("phone") {
            FieldClass::Phone
        } else if name.contains("name") {
            FieldClass::Name
        } else {
            FieldClass::Other
        }
    }

    fn tag(self) -> &'static str {
        match self {
            FieldClass::Email => "email",
            FieldClass::Phone => "phone",
            FieldClass::Name => "name",
            FieldClass::Other => "other",
        }
    }

    /// The normalised form used for lookups; `None` when nothing is left.
    pub fn normalise(self, value: &str) -> Option<String> {
        let out = match self {
            FieldClass::Email => value.trim().to_lowercase(),
            FieldClass::Phone => {
                let digits: String = value.chars().filter(char::is_ascii_digit).collect();
                // Compare national numbers: drop an international or trunk prefix.
                digits
                    .trim_start_matches("00")
                    .trim_start_matches('0')
                    .to_string()
            }
            FieldClass::Name => value
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
            FieldClass::Other => value.trim().to_string(),
        };
        (!out.is_empty()).then_some(out)
    }
}

/// Proof that a write was queued; [`Vault::sync`] waits until it is durable. Tickets combine with `max`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(pub u64);

impl Ticket {
    pub fn join(&mut self, other: Ticket) {
        self.0 = self.0.max(other.0);
    }
}

/// Errors from the vault.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "the master key is not valid: give 64 hex characters (or base64 of 32 bytes); `privet vault init` creates one"
    )]
    BadMasterKey,
    #[error("cannot read the master key file {path}: {reason}")]
    MasterKeyUnreadable { path: PathBuf, reason: String },
    #[error(
        "{0} already exists; Privet never overwrites a master key (that would lock the vault for good)"
    )]
    MasterKeyExists(PathBuf),
    #[error(
        "the master key file {0} is inside the data directory, where a copy of the data would carry its own key; keep it elsewhere"
    )]
    MasterKeyInsideDataDir(PathBuf),
    #[error(
        "the identity vault exists but no master key was found; set PRIVET_MASTER_KEY or PRIVET_MASTER_KEY_FILE to the key it was created with"
    )]
    MasterKeyMissing,
    #[error(
        "this master key does not open the identity vault; use the key the vault was created with (or rotated to)"
    )]
    WrongMasterKey,
    #[error("the vault failed to store data durably: {0}; fix the disk, then restart Privet")]
    Failed(String),
    #[error("the vault database failed: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("vault I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = VaultError> = std::result::Result<T, E>;

/// Everything the vault holds about one subject, decrypted (for access requests and identity reveals).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revealed {
    pub pseudonym: i64,
    pub project: i64,
    /// `p` for a person identifier, `g:<group key>` for an organisation.
    pub kind: String,
    /// The identifiers that map to this pseudonym.
    pub ids: Vec<String>,
    /// Vaulted personal fields, by property name.
    pub attributes: Vec<(String, String)>,
}

/// What an erasure removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    pub subjects: usize,
    pub ids: usize,
    pub attributes: usize,
}

/// A vault opened for a data directory, and where its master key came from.
pub struct Opened {
    pub vault: Vault,
    pub key_source: KeySource,
    /// True when this call created the master key (first start without a configured key).
    pub created_key: bool,
}

/// Opens the vault of a data directory (`<data-dir>/vault/`), finding the master key as [`master_key::find`]
/// describes. With `create`, a missing key is created in its default place when no vault exists yet.
pub fn open_in(data_dir: &Path, key_file: Option<&Path>, create: bool) -> Result<Opened> {
    let dir = data_dir.join("vault");
    if let Some((key, key_source)) = master_key::find(key_file, data_dir)? {
        return Ok(Opened {
            vault: Vault::open(&dir, key)?,
            key_source,
            created_key: false,
        });
    }
    if Vault::exists(&dir) || !create {
        return Err(VaultError::MasterKeyMissing);
    }
    let path = master_key::key_file_path(key_file, data_dir);
    let key = master_key::create_key_file(&path)?;
    Ok(Opened {
        vault: Vault::open(&dir, key)?,
        key_source: KeySource::File(path),
        created_key: true,
    })
}

/// A key for another part of Privet (the audit log's seals, sealed TOTP secrets), derived from the vault of a
/// data directory without opening it for writing: unknown without the master key, and stable across
/// `privet vault rotate-master-key` (it derives from the index key, which rotation re-wraps but keeps).
pub fn derived_key_in(data_dir: &Path, key_file: Option<&Path>, purpose: &str) -> Result<Key> {
    let path = data_dir.join("vault").join("vault.sqlite");
    let Some((master, _)) = master_key::find(key_file, data_dir)? else {
        return Err(VaultError::MasterKeyMissing);
    };
    if !path.exists() {
        return Err(VaultError::MasterKeyMissing);
    }
    let conn = db::open(&path)?;
    Ok(derive(&db::index_key(&conn, &master)?, purpose))
}

fn derive(index: &Key, purpose: &str) -> Key {
    Key::from_bytes(index.lookup(&[b"privet derived key", purpose.as_bytes()]))
}

/// The open vault. Cheap to share (`Arc` inside).
#[derive(Clone)]
pub struct Vault {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    master: Key,
    index: Key,
    writer: Writer,
    /// Reads that miss the caches (one connection; SQLite's WAL mode lets it read while the writer writes).
    reader: Mutex<rusqlite::Connection>,
    state: Mutex<State>,
    published: Published,
    /// Seals the dimensions an event is stored without (k-anonymity at rest).
    withheld: crypto::Sealer,
    /// Randomly keyed hasher for [`State::written`].
    fingerprints: hashbrown::DefaultHashBuilder,
    /// Random SipHash key of [`Vault::recent_key`], drawn when the vault is opened (the cache it keys is in
    /// memory only).
    recent_key: (u64, u64),
    limits: Limits,
}

/// How many entries the in-memory caches hold before they are emptied.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Identifier mappings and written-field fingerprints.
    pub ids: usize,
    /// Data keys and known personal values of subjects.
    pub keys: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ids: 2_000_000,
            keys: 200_000,
        }
    }
}

/// The personal values the vault holds for a subject (its identifiers and fields), with room for the searcher
/// the free-text scanner builds over them. A changed set of values is a new `Known`, so the searcher is built
/// once per set and never goes stale, and a scanner needs no cache of its own.
pub struct Known {
    values: Vec<String>,
    sketch: KnownSketch,
    searcher: OnceLock<Box<dyn Any + Send + Sync>>,
}

/// What a text must have to hold one of a subject's values, or any word of one: at least `shortest` bytes, and
/// every byte in `common` (the bytes all the words share, ASCII letters folded). Most texts fail it, so a caller
/// rules them out without searching, and without reading the values: the sketch is kept inline in the vault's
/// table, where the lookup that finds it already is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownSketch {
    pub shortest: u32,
    pub common: ByteSet,
}

impl KnownSketch {
    /// The sketch of no values: no text passes it.
    pub const NOTHING: KnownSketch = KnownSketch {
        shortest: u32::MAX,
        common: ByteSet::ALL,
    };

    /// The sketch of `values`, split into words at whitespace.
    pub fn of(values: &[String]) -> KnownSketch {
        values.iter().flat_map(|v| v.split_whitespace()).fold(
            KnownSketch::NOTHING,
            |sketch, word| KnownSketch {
                shortest: sketch
                    .shortest
                    .min(u32::try_from(word.len()).unwrap_or(u32::MAX)),
                common: sketch.common.intersection(ByteSet::of(word.as_bytes())),
            },
        )
    }

    /// Whether a text of `len` bytes holding `bytes` could hold one of the values.
    pub fn could_be_in(self, len: usize, bytes: ByteSet) -> bool {
        len >= self.shortest as usize && bytes.contains(self.common)
    }
}

impl Known {
    pub fn new(values: Vec<String>) -> Known {
        Known {
            sketch: KnownSketch::of(&values),
            values,
            searcher: OnceLock::new(),
        }
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    pub fn sketch(&self) -> KnownSketch {
        self.sketch
    }

    /// The searcher over the values, built by `build` on first use.
    ///
    /// # Panics
    /// When asked for a type other than the one built first (a vault has one scanner: the pipeline's).
    pub fn searcher<T: Any + Send + Sync>(&self, build: impl FnOnce(&[String]) -> T) -> &T {
        self.searcher
            .get_or_init(|| Box::new(build(&self.values)))
            .downcast_ref()
            .expect("one searcher type per vault")
    }
}

/// In-memory view: what is cached, and what is queued but not yet durable (so it is never looked up in SQLite).
#[derive(Default)]
struct State {
    /// lookup hash → pseudonym, for identifiers already seen.
    ids: HashMap<[u8; 32], i64>,
    /// [`Vault::recent_key`] → pseudonym: the hot path, which skips the HMAC for values seen recently. Keyed
    /// hashes rather than the values: a lookup compares 16 bytes in the table (no pointer to follow, no string
    /// to compare), a miss builds no key, and this cache holds no identifier.
    recent: HashMap<u128, i64>,
    /// Data keys of subjects used recently.
    data_keys: HashMap<i64, Key>,
    /// Known personal values (for the free-text scanner), per subject, with their sketch beside the pointer.
    known: HashMap<i64, (KnownSketch, Arc<Known>)>,
    /// Fingerprints of (subject, field, value) written recently, so a repeated field is not written again.
    written: hashbrown::HashSet<u64>,
}

const RECENT_LIMIT: usize = 500_000;

impl Vault {
    /// Opens (or creates) the vault in `dir` with the master key.
    pub fn open(dir: &Path, master: Key) -> Result<Vault> {
        Vault::open_with(dir, master, Limits::default())
    }

    pub(crate) fn open_with(dir: &Path, master: Key, limits: Limits) -> Result<Vault> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("vault.sqlite");
        let conn = db::open(&path)?;
        let index = db::index_key(&conn, &master)?;
        let withheld = crypto::Sealer::new(published::key(&index));
        let reader = db::open(&path)?;
        let writer = Writer::start(conn)?;
        Ok(Vault {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                master,
                index,
                writer,
                reader: Mutex::new(reader),
                state: Mutex::new(State::default()),
                published: Published::default(),
                withheld,
                fingerprints: hashbrown::DefaultHashBuilder::default(),
                recent_key: (rand::rng().next_u64(), rand::rng().next_u64()),
                limits,
            }),
        })
    }

    /// A key for another part of Privet; see [`derived_key_in`].
    pub fn derived_key(&self, purpose: &str) -> Key {
        derive(&self.inner.index, purpose)
    }

    /// True when a vault exists in `dir`.
    pub fn exists(dir: &Path) -> bool {
        dir.join("vault.sqlite").exists()
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The pseudonym of `value`, creating a random one (and the subject's data key) on first sight.
    pub fn pseudonym(
        &self,
        project: ProjectId,
        kind: IdKind<'_>,
        value: &str,
        ticket: &mut Ticket,
    ) -> Result<Pseudonym> {
        // The hot path: a value seen recently, found by a keyed hash without allocating.
        let recent = self.recent_key(project, &kind, value);
        if let Some(p) = self.inner.state.lock().recent.get(&recent) {
            return Ok(Pseudonym(*p));
        }
        let tag = kind.tag();
        let lookup = self.id_lookup(project, &tag, value);
        // Under the state lock, so two requests never give one value two pseudonyms.
        let mut state = self.inner.state.lock();
        if let Some(p) = state.ids.get(&lookup).copied() {
            remember(&mut state.recent, recent, p);
            return Ok(Pseudonym(p));
        }
        if let Some(p) = db::find_id(&self.inner.reader.lock(), &lookup)? {
            self.cache_insert(&mut state, lookup, p)?;
            remember(&mut state.recent, recent, p);
            return Ok(Pseudonym(p));
        }
        let pseudonym = loop {
            let candidate = (rand::rng().next_u64() >> 1) as i64;
            if candidate != 0 && !db::subject_exists(&self.inner.reader.lock(), candidate)? {
                break candidate;
            }
        };
        let data_key = Key::random();
        let wrapped = self.inner.master.wrap(&data_key, &subject_aad(pseudonym));
        let sealed = data_key.seal(value.as_bytes(), &id_aad(pseudonym));
        self.cache_insert(&mut state, lookup, pseudonym)?;
        remember(&mut state.recent, recent, pseudonym);
        self.make_room(&mut state.data_keys, self.inner.limits.keys)?;
        state.data_keys.insert(pseudonym, data_key);
        drop(state);
        ticket.join(self.inner.writer.push(Op::Subject {
            pseudonym,
            project: project.0,
            kind: tag,
            wrapped_key: wrapped,
            lookup,
            sealed_id: sealed,
        }));
        Ok(Pseudonym(pseudonym))
    }

    /// The [`State::recent`] key of an identifier: SipHash-1-3 (128 bits, randomly keyed) of the project, the
    /// kind's class, the lengths of the kind's name and of the value, then both (so no two inputs hash the same
    /// bytes). The key is random and the hashes never leave the process, so a sender who chooses identifiers has
    /// nothing to work from: two of them share a pseudonym only with negligible probability. (SipHash-2-4
    /// measured 2% slower over the whole pipeline.)
    fn recent_key(&self, project: ProjectId, kind: &IdKind<'_>, value: &str) -> u128 {
        use siphasher::sip128::{Hasher128, SipHasher13};
        use std::hash::Hasher;
        let (k0, k1) = self.inner.recent_key;
        let mut h = SipHasher13::new_with_keys(k0, k1);
        let (class, name) = kind.parts();
        // The fixed-width fields first, in one write (each write costs a call), then the two strings.
        let mut head = [0u8; 25];
        head[..8].copy_from_slice(&project.0.to_le_bytes());
        head[8] = class;
        head[9..17].copy_from_slice(&(name.len() as u64).to_le_bytes());
        head[17..].copy_from_slice(&(value.len() as u64).to_le_bytes());
        h.write(&head);
        h.write(name.as_bytes());
        h.write(value.as_bytes());
        h.finish128().as_u128()
    }

    /// The pseudonym of `value` if the vault knows it (never creates one).
    pub fn find(
        &self,
        project: ProjectId,
        kind: IdKind<'_>,
        value: &str,
    ) -> Result<Option<Pseudonym>> {
        let lookup = self.id_lookup(project, &kind.tag(), value);
        if let Some(p) = self.inner.state.lock().ids.get(&lookup) {
            return Ok(Some(Pseudonym(*p)));
        }
        Ok(db::find_id(&self.inner.reader.lock(), &lookup)?.map(Pseudonym))
    }

    /// Subjects with a personal field of `class` equal to `value` (after normalisation), e.g. everyone whose
    /// `$email` is `ada@example.com`.
    pub fn find_by_field(
        &self,
        project: ProjectId,
        class: FieldClass,
        value: &str,
    ) -> Result<Vec<Pseudonym>> {
        let Some(normalised) = class.normalise(value) else {
            return Ok(Vec::new());
        };
        let lookup = self.field_lookup(project, class, &normalised);
        self.sync_blocking(self.inner.writer.barrier())?;
        Ok(db::find_by_field(&self.inner.reader.lock(), &lookup)?
            .into_iter()
            .map(Pseudonym)
            .collect())
    }

    /// Stores a personal field of a subject (encrypted under its data key); replaces an earlier value.
    pub fn set_field(
        &self,
        project: ProjectId,
        subject: Pseudonym,
        name: &str,
        value: &str,
        ticket: &mut Ticket,
    ) -> Result<()> {
        // SDKs resend the same fields with every event: write a field only when it is new or changed.
        let fingerprint = self.inner.fingerprints.hash_one((subject.0, name, value));
        if self.inner.state.lock().written.contains(&fingerprint) {
            return Ok(());
        }
        let key = self.data_key(subject.0)?.ok_or(VaultError::Failed(
            "a field was stored for a subject the vault does not know".into(),
        ))?;
        let class = FieldClass::of(name);
        let lookup = class
            .normalise(value)
            .map(|n| self.field_lookup(project, class, &n));
        let sealed = key.seal(value.as_bytes(), &field_aad(subject.0, name));
        let known = self.known_values(subject)?;
        // Queued before the known values are updated, so a cache emptied in between (after a barrier) still
        // finds the value durable.
        ticket.join(self.inner.writer.push(Op::Field {
            pseudonym: subject.0,
            name: name.to_string(),
            sealed,
            lookup,
        }));
        let mut state = self.inner.state.lock();
        if !known.values().iter().any(|v| v == value) {
            let mut values = known.values().to_vec();
            values.push(value.to_string());
            self.keep_known(&mut state, subject.0, Arc::new(Known::new(values)))?;
        }
        // Forgetting a fingerprint only costs a rewrite of the same value: no need to wait for the writer.
        if state.written.len() >= self.inner.limits.ids {
            state.written.clear();
        }
        state.written.insert(fingerprint);
        Ok(())
    }

    /// The personal values the vault holds for a subject (its identifiers and fields), for the free-text scanner.
    pub fn known_values(&self, subject: Pseudonym) -> Result<Arc<Known>> {
        if let Some((_, known)) = self.inner.state.lock().known.get(&subject.0) {
            return Ok(known.clone());
        }
        let values: Vec<String> = match self.reveal_durable(subject.0)? {
            Some(r) => r
                .attributes
                .into_iter()
                .map(|(_, v)| v)
                .chain(r.ids)
                .collect(),
            None => Vec::new(),
        };
        let known = Arc::new(Known::new(values));
        self.keep_known(&mut self.inner.state.lock(), subject.0, known.clone())?;
        Ok(known)
    }

    /// Caches a subject's known values, with their sketch beside them.
    fn keep_known(&self, state: &mut State, subject: i64, known: Arc<Known>) -> Result<()> {
        self.make_room(&mut state.known, self.inner.limits.keys)?;
        state.known.insert(subject, (known.sketch(), known));
        Ok(())
    }

    /// The sketch of the values the vault holds for a subject ([`KnownSketch`]), found without touching the
    /// values; a caller reads those ([`Vault::known_values`]) only when a text passes the sketch.
    pub fn known_sketch(&self, subject: Pseudonym) -> Result<KnownSketch> {
        if let Some((sketch, _)) = self.inner.state.lock().known.get(&subject.0) {
            return Ok(*sketch);
        }
        Ok(self.known_values(subject)?.sketch())
    }

    /// Decrypts everything held about `subject`; `None` if the vault holds nothing (never known, or erased).
    pub fn reveal(&self, subject: Pseudonym) -> Result<Option<Revealed>> {
        self.sync_blocking(self.inner.writer.barrier())?;
        self.reveal_durable(subject.0)
    }

    fn reveal_durable(&self, pseudonym: i64) -> Result<Option<Revealed>> {
        let reader = self.inner.reader.lock();
        let Some((project, kind, wrapped)) = db::subject(&reader, pseudonym)? else {
            return Ok(None);
        };
        let key = self.unwrap_data_key(pseudonym, &wrapped)?;
        let text = |blob: &[u8], aad: &[u8]| {
            key.open(blob, aad)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        let ids = db::sealed_ids(&reader, pseudonym)?
            .iter()
            .filter_map(|blob| text(blob, &id_aad(pseudonym)))
            .collect();
        let attributes = db::sealed_fields(&reader, pseudonym)?
            .into_iter()
            .filter_map(|(name, blob)| {
                let aad = field_aad(pseudonym, &name);
                text(&blob, &aad).map(|v| (name, v))
            })
            .collect();
        Ok(Some(Revealed {
            pseudonym,
            project,
            kind,
            ids,
            attributes,
        }))
    }

    /// Decrypts every subject of a project, in pseudonym order, and hands each to `f` (breach assessment
    /// matches a leaked dataset against all of them at once). Streams: one subject in memory at a time.
    pub fn for_each_subject(&self, project: ProjectId, mut f: impl FnMut(Revealed)) -> Result<u64> {
        self.sync_blocking(self.inner.writer.barrier())?;
        let conn = db::open(&self.inner.dir.join("vault.sqlite"))?;
        // One sequential pass over the whole file: map it rather than copy every page through read().
        conn.pragma_update(None, "mmap_size", 1i64 << 34)?;
        let mut subjects = conn.prepare(
            "SELECT pseudonym, kind, data_key FROM subjects WHERE project = ?1 ORDER BY pseudonym",
        )?;
        let mut ids = conn.prepare(
            "SELECT i.pseudonym, i.value FROM subjects s JOIN ids i ON i.pseudonym = s.pseudonym
             WHERE s.project = ?1 ORDER BY s.pseudonym",
        )?;
        let mut fields = conn.prepare(
            "SELECT f.pseudonym, f.name, f.value FROM subjects s JOIN fields f ON f.pseudonym = s.pseudonym
             WHERE s.project = ?1 ORDER BY s.pseudonym, f.name",
        )?;
        let mut ids = ids
            .query_map([project.0], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?
            .peekable();
        let mut fields = fields
            .query_map([project.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })?
            .peekable();
        let rows = subjects.query_map([project.0], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut count = 0;
        for row in rows {
            let (pseudonym, kind, wrapped) = row?;
            let key = self.unwrap_data_key(pseudonym, &wrapped)?;
            let open = |blob: &[u8], aad: &[u8]| {
                key.open(blob, aad)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            let mut revealed = Revealed {
                pseudonym,
                project: project.0,
                kind,
                ..Revealed::default()
            };
            while let Some(Ok((p, _))) = ids.peek()
                && *p <= pseudonym
            {
                let (p, blob) = ids.next().expect("peeked")?;
                if p == pseudonym {
                    revealed.ids.extend(open(&blob, &id_aad(p)));
                }
            }
            while let Some(Ok((p, _, _))) = fields.peek()
                && *p <= pseudonym
            {
                let (p, name, blob) = fields.next().expect("peeked")?;
                if p == pseudonym {
                    let value = open(&blob, &field_aad(p, &name));
                    revealed.attributes.extend(value.map(|v| (name, v)));
                }
            }
            f(revealed);
            count += 1;
        }
        Ok(count)
    }

    /// Crypto-shreds subjects: deletes their data keys, identifiers and fields. Events keep the pseudonyms, which
    /// then link to nothing. Durable when this returns.
    pub fn erase(&self, subjects: &[Pseudonym], reason: &str) -> Result<Erased> {
        {
            let mut state = self.inner.state.lock();
            let doomed: hashbrown::HashSet<i64> = subjects.iter().map(|p| p.0).collect();
            state.ids.retain(|_, p| !doomed.contains(p));
            state.recent.retain(|_, p| !doomed.contains(p));
            for p in &doomed {
                state.data_keys.remove(p);
                state.known.remove(p);
            }
        }
        let (ticket, result) = self
            .inner
            .writer
            .erase(subjects.iter().map(|p| p.0).collect(), reason.to_string());
        self.sync_blocking(ticket)?;
        result
            .recv()
            .map_err(|_| VaultError::Failed("the vault writer stopped".into()))?
    }

    /// Waits until everything queued up to `ticket` is durable.
    pub async fn sync(&self, ticket: Ticket) -> Result<()> {
        self.inner.writer.wait(ticket).await
    }

    /// Blocking form of [`Vault::sync`].
    pub fn sync_blocking(&self, ticket: Ticket) -> Result<()> {
        self.inner.writer.wait_blocking(ticket)
    }

    /// Re-wraps every data key (and the index key) under `new`; events and pseudonyms are untouched.
    pub fn rotate_master_key(dir: &Path, old: &Key, new: &Key) -> Result<usize> {
        let mut conn = db::open(&dir.join("vault.sqlite"))?;
        db::rewrap(&mut conn, old, new)
    }

    /// Counts of what the vault holds (subjects, identifiers, fields), for `privet vault status`.
    pub fn counts(&self) -> Result<(u64, u64, u64)> {
        self.sync_blocking(self.inner.writer.barrier())?;
        db::counts(&self.inner.reader.lock())
    }

    /// Caches a mapping. A full cache is emptied, but only after every queued mapping is durable: a mapping that
    /// is in neither the cache nor SQLite would be given a second pseudonym.
    fn cache_insert(&self, state: &mut State, lookup: [u8; 32], pseudonym: i64) -> Result<()> {
        self.make_room(&mut state.ids, self.inner.limits.ids)?;
        state.ids.insert(lookup, pseudonym);
        Ok(())
    }

    /// Empties a cache holding `limit` entries, but only after every queued write is durable: an entry in
    /// neither the cache nor SQLite would be missing (a second pseudonym for a known value, a new subject's
    /// fields refused, a just-stored value the free-text scanner no longer sees).
    fn make_room<K, V>(&self, cache: &mut HashMap<K, V>, limit: usize) -> Result<()> {
        if cache.len() >= limit {
            self.sync_blocking(self.inner.writer.barrier())?;
            cache.clear();
        }
        Ok(())
    }

    fn unwrap_data_key(&self, pseudonym: i64, wrapped: &[u8]) -> Result<Key> {
        self.inner
            .master
            .unwrap_key(wrapped, &subject_aad(pseudonym))
            .ok_or(VaultError::WrongMasterKey)
    }

    fn data_key(&self, pseudonym: i64) -> Result<Option<Key>> {
        if let Some(key) = self.inner.state.lock().data_keys.get(&pseudonym) {
            return Ok(Some(key.clone()));
        }
        let Some((_, _, wrapped)) = db::subject(&self.inner.reader.lock(), pseudonym)? else {
            return Ok(None);
        };
        let key = self.unwrap_data_key(pseudonym, &wrapped)?;
        let mut state = self.inner.state.lock();
        self.make_room(&mut state.data_keys, self.inner.limits.keys)?;
        state.data_keys.insert(pseudonym, key.clone());
        Ok(Some(key))
    }

    fn id_lookup(&self, project: ProjectId, tag: &str, value: &str) -> [u8; 32] {
        self.inner.index.lookup(&[
            b"id",
            &project.0.to_le_bytes(),
            tag.as_bytes(),
            value.as_bytes(),
        ])
    }

    fn field_lookup(&self, project: ProjectId, class: FieldClass, normalised: &str) -> [u8; 32] {
        self.inner.index.lookup(&[
            b"field",
            &project.0.to_le_bytes(),
            class.tag().as_bytes(),
            normalised.as_bytes(),
        ])
    }
}

/// Caches a recently used value; a full cache is emptied (the lookup-hash cache below it is still warm).
fn remember(recent: &mut HashMap<u128, i64>, key: u128, pseudonym: i64) {
    if recent.len() >= RECENT_LIMIT {
        recent.clear();
    }
    recent.insert(key, pseudonym);
}

fn subject_aad(pseudonym: i64) -> Vec<u8> {
    format!("subject:{pseudonym}").into_bytes()
}

fn id_aad(pseudonym: i64) -> Vec<u8> {
    format!("id:{pseudonym}").into_bytes()
}

fn field_aad(pseudonym: i64, name: &str) -> Vec<u8> {
    format!("field:{pseudonym}:{name}").into_bytes()
}

#[cfg(test)]
mod tests;
