//! The vault's single writer thread: everything queued while the previous transaction committed goes into the
//! next one (group commit), so a burst of new people costs one `fsync`, not one each.

use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};
use rusqlite::{Connection, params};

use crate::{Erased, Result, Ticket, VaultError};

/// A queued change.
pub enum Op {
    Subject {
        pseudonym: i64,
        project: i64,
        kind: String,
        wrapped_key: Vec<u8>,
        lookup: [u8; 32],
        sealed_id: Vec<u8>,
    },
    Field {
        pseudonym: i64,
        name: String,
        sealed: Vec<u8>,
        lookup: Option<[u8; 32]>,
    },
    Erase {
        subjects: Vec<i64>,
        reason: String,
        reply: std::sync::mpsc::Sender<Result<Erased>>,
    },
}

#[derive(Default)]
struct Queue {
    ops: Vec<Op>,
    last: u64,
    stop: bool,
}

#[derive(Clone, Default)]
struct Durable {
    seq: u64,
    failed: Option<String>,
}

struct Shared {
    queue: Mutex<Queue>,
    queued: Condvar,
    durable: Mutex<Durable>,
    committed: Condvar,
    watch: tokio::sync::watch::Sender<Durable>,
}

pub struct Writer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn start(conn: Connection) -> Result<Writer> {
        let (watch, _) = tokio::sync::watch::channel(Durable::default());
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            queued: Condvar::new(),
            durable: Mutex::new(Durable::default()),
            committed: Condvar::new(),
            watch,
        });
        let thread = std::thread::Builder::new()
            .name("privet-vault".into())
            .spawn({
                let shared = shared.clone();
                move || run(conn, &shared)
            })?;
        Ok(Writer {
            shared,
            thread: Some(thread),
        })
    }

    pub fn push(&self, op: Op) -> Ticket {
        let mut queue = self.shared.queue.lock();
        queue.last += 1;
        queue.ops.push(op);
        self.shared.queued.notify_one();
        Ticket(queue.last)
    }

    /// A ticket covering everything queued so far.
    pub fn barrier(&self) -> Ticket {
        Ticket(self.shared.queue.lock().last)
    }

    pub fn erase(
        &self,
        subjects: Vec<i64>,
        reason: String,
    ) -> (Ticket, std::sync::mpsc::Receiver<Result<Erased>>) {
        let (reply, result) = std::sync::mpsc::channel();
        let ticket = self.push(Op::Erase {
            subjects,
            reason,
            reply,
        });
        (ticket, result)
    }

    pub async fn wait(&self, ticket: Ticket) -> Result<()> {
        let mut rx = self.shared.watch.subscribe();
        let state = rx
            .wait_for(|d| d.seq >= ticket.0 || d.failed.is_some())
            .await
            .map_err(|_| VaultError::Failed("the vault writer stopped".into()))?
            .clone();
        match state.failed {
            Some(reason) => Err(VaultError::Failed(reason)),
            None => Ok(()),
        }
    }

    pub fn wait_blocking(&self, ticket: Ticket) -> Result<()> {
        let mut durable = self.shared.durable.lock();
        loop {
            if let Some(reason) = &durable.failed {
                return Err(VaultError::Failed(reason.clone()));
            }
            if durable.seq >= ticket.0 {
                return Ok(());
            }
            self.shared.committed.wait(&mut durable);
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shared.queue.lock().stop = true;
        self.shared.queued.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(mut conn: Connection, shared: &Shared) {
    loop {
        let (ops, last, stop) = {
            let mut queue = shared.queue.lock();
            while queue.ops.is_empty() && !queue.stop {
                shared.queued.wait(&mut queue);
            }
            (std::mem::take(&mut queue.ops), queue.last, queue.stop)
        };
        if !ops.is_empty() {
            let mut replies = Vec::new();
            let outcome = apply(&mut conn, ops, &mut replies);
            let mut durable = shared.durable.lock();
            match outcome {
                Ok(()) => {
                    durable.seq = last;
                    for (reply, erased) in replies {
                        let _ = reply.send(Ok(erased));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "the identity vault could not commit");
                    durable.failed = Some(e.to_string());
                    for (reply, _) in replies {
                        let _ = reply.send(Err(VaultError::Failed(e.to_string())));
                    }
                }
            }
            shared.watch.send_replace(durable.clone());
            shared.committed.notify_all();
        }
        if stop {
            return;
        }
    }
}

type Reply = (std::sync::mpsc::Sender<Result<Erased>>, Erased);

fn apply(conn: &mut Connection, ops: Vec<Op>, replies: &mut Vec<Reply>) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let tx = conn.transaction()?;
    for op in ops {
        match op {
            Op::Subject {
                pseudonym,
                project,
                kind,
                wrapped_key,
                lookup,
                sealed_id,
            } => {
                tx.prepare_cached(
                    "INSERT INTO subjects (pseudonym, project, kind, data_key, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![pseudonym, project, kind, wrapped_key, now])?;
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO ids (lookup, pseudonym, value) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![&lookup[..], pseudonym, sealed_id])?;
            }
            Op::Field {
                pseudonym,
                name,
                sealed,
                lookup,
            } => {
                // A field of a subject erased meanwhile is dropped with it.
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO fields (pseudonym, name, value, lookup, updated)
                     SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM subjects WHERE pseudonym = ?1)",
                )?
                .execute(params![
                    pseudonym,
                    name,
                    sealed,
                    lookup.as_ref().map(|l| &l[..]),
                    now
                ])?;
            }
            Op::Erase {
                subjects,
                reason,
                reply,
            } => {
                let mut erased = Erased::default();
                for pseudonym in &subjects {
                    erased.attributes += tx
                        .prepare_cached("DELETE FROM fields WHERE pseudonym = ?1")?
                        .execute(params![pseudonym])?;
                    erased.ids += tx
                        .prepare_cached("DELETE FROM ids WHERE pseudonym = ?1")?
                        .execute(params![pseudonym])?;
                    erased.subjects += tx
                        .prepare_cached("DELETE FROM subjects WHERE pseudonym = ?1")?
                        .execute(params![pseudonym])?;
                }
                tx.execute(
                    "INSERT INTO erasures (at, subjects, reason) VALUES (?1, ?2, ?3)",
                    params![now, erased.subjects as i64, reason],
                )?;
                replies.push((reply, erased));
            }
        }
    }
    tx.commit()?;
    Ok(())
}
