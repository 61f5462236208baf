//! Counters for `GET /metrics`, written in the Prometheus text format by hand
//! (a handful of counters does not need a metrics framework).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::store::Backlog;
use crate::verify::Provider;

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    received: [AtomicU64; 4],
    duplicates: [AtomicU64; 4],
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    delivered: AtomicU64,
    commits: AtomicU64,
    committed_events: AtomicU64,
    commit_micros: AtomicU64,
}

fn slot(provider: Provider) -> usize {
    match provider {
        Provider::Stripe => 0,
        Provider::Btcpay => 1,
        Provider::Nowpayments => 2,
        Provider::Razorpay => 3,
    }
}

impl Metrics {
    pub(crate) fn stored(&self, provider: Provider) {
        self.received[slot(provider)].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn duplicate(&self, provider: Provider) {
        self.duplicates[slot(provider)].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn rejected(&self, reason: &'static str) {
        let mut rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        *rejected.entry(reason).or_default() += 1;
    }

    pub(crate) fn delivered(&self, events: usize) {
        self.delivered.fetch_add(events as u64, Ordering::Relaxed);
    }

    pub(crate) fn observe_commit(&self, events: usize, took: Duration) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.committed_events
            .fetch_add(events as u64, Ordering::Relaxed);
        self.commit_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// The text for `/metrics`; `backlog` is None when the store did not answer.
    pub(crate) fn render(&self, backlog: Option<Backlog>, now_ms: i64) -> String {
        let mut out = String::new();
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP codetill_relay_events_received_total Webhook events stored (first delivery).\n\
             # TYPE codetill_relay_events_received_total counter"
        );
        for provider in Provider::ALL {
            let _ = writeln!(
                out,
                "codetill_relay_events_received_total{{provider=\"{provider}\"}} {}",
                load(&self.received[slot(provider)])
            );
        }
        let _ = writeln!(
            out,
            "# HELP codetill_relay_events_duplicate_total Deliveries of events already stored (answered 200, not stored).\n\
             # TYPE codetill_relay_events_duplicate_total counter"
        );
        for provider in Provider::ALL {
            let _ = writeln!(
                out,
                "codetill_relay_events_duplicate_total{{provider=\"{provider}\"}} {}",
                load(&self.duplicates[slot(provider)])
            );
        }
        let _ = writeln!(
            out,
            "# HELP codetill_relay_events_rejected_total Deliveries refused, by reason.\n\
             # TYPE codetill_relay_events_rejected_total counter"
        );
        let rejected = self.rejected.lock().unwrap_or_else(|p| p.into_inner());
        for (reason, count) in rejected.iter() {
            let _ = writeln!(
                out,
                "codetill_relay_events_rejected_total{{reason=\"{reason}\"}} {count}"
            );
        }
        drop(rejected);
        let _ = writeln!(
            out,
            "# HELP codetill_relay_events_delivered_total Events served to desktops (long-poll and SSE).\n\
             # TYPE codetill_relay_events_delivered_total counter\n\
             codetill_relay_events_delivered_total {}",
            load(&self.delivered)
        );
        let _ = writeln!(
            out,
            "# HELP codetill_relay_commits_total Ingest transactions committed (each may hold many events).\n\
             # TYPE codetill_relay_commits_total counter\n\
             codetill_relay_commits_total {}\n\
             # HELP codetill_relay_committed_events_total Events written by ingest transactions, duplicates included.\n\
             # TYPE codetill_relay_committed_events_total counter\n\
             codetill_relay_committed_events_total {}\n\
             # HELP codetill_relay_commit_seconds_total Time spent in ingest transactions.\n\
             # TYPE codetill_relay_commit_seconds_total counter\n\
             codetill_relay_commit_seconds_total {:.6}",
            load(&self.commits),
            load(&self.committed_events),
            load(&self.commit_micros) as f64 / 1e6
        );
        if let Some(backlog) = backlog {
            let age_s = backlog
                .oldest_unacked_ms
                .map_or(0, |at| (now_ms - at).max(0) / 1000);
            let _ = writeln!(
                out,
                "# HELP codetill_relay_unacked_events Events stored but not yet acknowledged, all shops.\n\
                 # TYPE codetill_relay_unacked_events gauge\n\
                 codetill_relay_unacked_events {}\n\
                 # HELP codetill_relay_oldest_unacked_age_seconds Age of the oldest unacknowledged event (lag).\n\
                 # TYPE codetill_relay_oldest_unacked_age_seconds gauge\n\
                 codetill_relay_oldest_unacked_age_seconds {age_s}",
                backlog.unacked
            );
        }
        let _ = writeln!(
            out,
            "# HELP codetill_relay_store_up Whether the store answered this scrape.\n\
             # TYPE codetill_relay_store_up gauge\n\
             codetill_relay_store_up {}",
            u8::from(backlog.is_some())
        );
        out
    }
}
