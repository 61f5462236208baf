//! The single writer: inbound handlers queue verified events here and wait for
//! the answer; the writer commits everything that has queued up in one
//! transaction (group commit) and then answers each handler. One fsync then
//! covers many events, and on SQLite writers never queue on the file lock.
//! After a commit the writer waits a moment for the senders it just answered
//! ([`Gather`]), so that under load each transaction carries all of them.
//!
//! A batch that fails is retried one event per transaction, so a single event
//! that cannot be stored does not take the others down with it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::error::StoreError;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::store::{Inserted, NewEvent, Store};

/// How many events one transaction takes at most.
const MAX_BATCH: usize = 256;
/// Bodies are up to 256 KiB: bound a batch's memory as well.
const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;
/// The longest the writer waits to fill a transaction ([`Gather`]).
const MAX_GATHER: Duration = Duration::from_millis(2);

type Answer = Result<Inserted, StoreError>;

struct Job {
    event: NewEvent,
    answer: oneshot::Sender<Answer>,
}

/// The handlers' side of the writer.
#[derive(Debug, Clone)]
pub(crate) struct IngestQueue {
    jobs: mpsc::Sender<Job>,
}

impl IngestQueue {
    /// Start the writer; it stops once `closing` is true and the queue is drained.
    pub(crate) fn start(
        store: Store,
        hub: Arc<Hub>,
        metrics: Arc<Metrics>,
        closing: watch::Receiver<bool>,
    ) -> (Self, JoinHandle<()>) {
        let (jobs, queue) = mpsc::channel(4096);
        let writer = tokio::spawn(write_loop(store, hub, metrics, queue, closing));
        (Self { jobs }, writer)
    }

    /// Store one event; returns once it is durably committed (or refused).
    pub(crate) async fn submit(&self, event: NewEvent) -> Answer {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job { event, answer })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answered.await.map_err(|_| StoreError::WriterGone)?
    }
}

async fn write_loop(
    store: Store,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
    mut queue: mpsc::Receiver<Job>,
    mut closing: watch::Receiver<bool>,
) {
    let mut gather = Gather::default();
    loop {
        let first = tokio::select! {
            job = queue.recv() => job,
            () = crate::flag::until_true(&mut closing) => {
                // No new jobs; those already queued are still committed below.
                queue.close();
                queue.recv().await
            }
        };
        let Some(first) = first else { return };
        let mut bytes = first.event.payload.len();
        let mut batch = vec![first];
        let full =
            |batch: &Vec<Job>, bytes: usize| batch.len() >= MAX_BATCH || bytes >= MAX_BATCH_BYTES;
        while !full(&batch, bytes) {
            match queue.try_recv() {
                Ok(job) => {
                    bytes += job.event.payload.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let deadline = gather.ended + gather.budget;
        while batch.len() < gather.in_flight && !full(&batch, bytes) {
            match tokio::time::timeout_at(deadline, queue.recv()).await {
                Ok(Some(job)) => {
                    bytes += job.event.payload.len();
                    batch.push(job);
                }
                _ => break,
            }
        }
        // Postgres: take shops' row locks in one order in every instance, so two
        // instances' batches never deadlock. Stable: a shop's events keep their order.
        batch.sort_by(|a, b| a.event.shop_id.cmp(&b.event.shop_id));
        let events = batch.len();
        let took = commit(&store, &hub, &metrics, batch).await;
        gather = Gather {
            in_flight: events + queue.len(),
            budget: took.min(MAX_GATHER),
            ended: tokio::time::Instant::now(),
        };
    }
}

/// How the writer fills its next transaction. The senders a commit answers send
/// their next events within a fraction of a millisecond, while a commit costs
/// an fsync (milliseconds on SQLite). Were the next transaction begun at once,
/// it would hold only the events that queued during the last one: under steady
/// load the senders would split into two halves taking turns, each commit
/// carrying half of them. So after a commit the writer waits, no longer than
/// that commit took (and at most [`MAX_GATHER`]), until as many events are
/// queued as were in flight when it ended. A lone event never waits.
struct Gather {
    /// Events committed by the last transaction plus those queued meanwhile.
    in_flight: usize,
    /// How long after `ended` the writer may wait for them.
    budget: Duration,
    ended: tokio::time::Instant,
}

impl Default for Gather {
    fn default() -> Self {
        Self {
            in_flight: 1,
            budget: Duration::ZERO,
            ended: tokio::time::Instant::now(),
        }
    }
}

/// Commit `batch` and answer each of its handlers; how long the store took.
async fn commit(store: &Store, hub: &Hub, metrics: &Metrics, batch: Vec<Job>) -> Duration {
    let events: Vec<NewEvent> = batch.iter().map(|job| job.event.clone()).collect();
    let started = Instant::now();
    let answers: Vec<Answer> = match store.insert_events(&events).await {
        Ok(answers) => answers.into_iter().map(Ok).collect(),
        Err(e) if events.len() > 1 => {
            tracing::warn!(error = %e, events = events.len(), "batch failed; storing one by one");
            let mut answers = Vec::with_capacity(events.len());
            for event in &events {
                let answer = match store.insert_events(std::slice::from_ref(event)).await {
                    Ok(mut one) => one.pop().ok_or(StoreError::WriterGone),
                    Err(e) => Err(e),
                };
                answers.push(answer);
            }
            answers
        }
        Err(e) => vec![Err(e)],
    };
    let took = started.elapsed();
    metrics.observe_commit(events.len(), took);
    let mut woken = std::collections::HashSet::new();
    for (job, answer) in batch.into_iter().zip(answers) {
        if matches!(answer, Ok(Inserted::Stored { .. })) && woken.insert(job.event.shop_id.clone())
        {
            hub.wake(&job.event.shop_id);
        }
        // A handler that went away (client hung up) is fine: the event is stored,
        // and the provider's retry will be answered as a duplicate.
        let _ = job.answer.send(answer);
    }
    took
}
