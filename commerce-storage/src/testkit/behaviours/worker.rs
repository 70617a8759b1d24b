//! The outbox worker over the store: delivery, retries with backoff, dead letters, lease
//! take-over, and two workers never handling one event at the same time.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::Duration;
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{CartId, EventId};
use commerce_core::ports::storage::Store;

use crate::testkit::Harness;
use crate::worker::{EventHandler, HandlerError, OutboxWorker, WorkerConfig};

fn events(h: &Harness, n: usize) -> Vec<Event> {
    (0..n)
        .map(|_| Event {
            id: EventId::from_uuid(h.uuid()),
            occurred_at: h.now(),
            kind: EventKind::CartAbandoned { cart_id: CartId::from_uuid(h.uuid()), customer_id: None },
        })
        .collect()
}

/// Records deliveries; fails the first `fail_first` attempts of every event; checks that no event
/// is ever handled twice at the same time.
#[derive(Default)]
struct Recorder {
    fail_first: u32,
    delay: StdDuration,
    state: Mutex<(HashMap<EventId, u32>, HashSet<EventId>, u32)>,
}

#[async_trait]
impl EventHandler for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }

    async fn handle(&self, event: &Event) -> Result<(), HandlerError> {
        let attempt = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if !s.1.insert(event.id) {
                s.2 += 1; // overlap
            }
            let n = s.0.entry(event.id).or_insert(0);
            *n += 1;
            *n
        };
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1.remove(&event.id);
        if attempt <= self.fail_first {
            Err(HandlerError::new(format!("attempt {attempt} failed")))
        } else {
            Ok(())
        }
    }
}

fn config(id: &str) -> WorkerConfig {
    WorkerConfig {
        worker_id: id.into(),
        batch_size: 5,
        lease: Duration::seconds(10),
        handler_timeout: StdDuration::from_secs(5),
        poll_interval: StdDuration::from_millis(5),
        max_attempts: 3,
        backoff_base: Duration::seconds(2),
        backoff_max: Duration::seconds(60),
    }
}

/// Delivers every event once; failures are retried after the backoff and dead-lettered after
/// `max_attempts`.
pub async fn worker_retries_and_dead_letters(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let evs = events(&h, 3);
    store.append_events(&evs).await.unwrap();
    let ok = Arc::new(Recorder::default());
    let worker =
        OutboxWorker::new(store.clone()).handler(ok.clone()).config(config("w1")).clock(h.clock.clone());
    let s = worker.run_once().await.unwrap();
    assert_eq!((s.claimed, s.delivered), (3, 3));
    assert_eq!(worker.run_once().await.unwrap().claimed, 0, "delivered events are not claimed again");

    let more = events(&h, 1);
    store.append_events(&more).await.unwrap();
    let flaky = Arc::new(Recorder { fail_first: 10, ..Default::default() });
    let worker =
        OutboxWorker::new(store.clone()).handler(flaky.clone()).config(config("w2")).clock(h.clock.clone());
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    assert_eq!(worker.run_once().await.unwrap().claimed, 0, "not before the backoff (2 s)");
    h.clock.advance(Duration::seconds(2));
    assert_eq!(worker.run_once().await.unwrap().retried, 1);
    h.clock.advance(Duration::seconds(3));
    assert_eq!(worker.run_once().await.unwrap().claimed, 0, "second backoff is 4 s");
    h.clock.advance(Duration::seconds(1));
    assert_eq!(worker.run_once().await.unwrap().dead, 1, "third attempt is the last");
    h.clock.advance(Duration::hours(1));
    assert_eq!(worker.run_once().await.unwrap().claimed, 0);
    let dead = store.dead_events(10).await.unwrap();
    assert_eq!((dead.len(), dead[0].attempts), (1, 3));
    assert!(dead[0].last_error.as_deref().unwrap_or("").contains("recorder: attempt 3 failed"));
    assert_eq!(config("x").backoff(1), Duration::seconds(2));
    assert_eq!(config("x").backoff(3), Duration::seconds(8));
    assert_eq!(config("x").backoff(40), Duration::seconds(60), "capped");
}

/// Two workers (real concurrent tasks, real time) on one store: every event delivered, none
/// handled by both at once; a crashed worker's claim is taken over after its lease.
pub async fn two_workers_never_overlap(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let evs = events(&h, 30);
    store.append_events(&evs).await.unwrap();
    // A "crashed" worker claimed 5 events with a short lease and never came back.
    let t0 = chrono::Utc::now();
    let crashed = store.claim_events("crashed", t0, t0 + Duration::milliseconds(300), 5).await.unwrap();
    assert_eq!(crashed.len(), 5);
    let rec = Arc::new(Recorder { delay: StdDuration::from_millis(3), ..Default::default() });
    let mut c1 = config("a");
    let mut c2 = config("b");
    c1.lease = Duration::seconds(5);
    c2.lease = Duration::seconds(5);
    let w1 = OutboxWorker::new(store.clone()).handler(rec.clone()).config(c1).spawn();
    let w2 = OutboxWorker::new(store.clone()).handler(rec.clone()).config(c2).spawn();
    let deadline = std::time::Instant::now() + StdDuration::from_secs(20);
    loop {
        let st = store.outbox_stats().await.unwrap();
        if st.delivered == 30 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    w1.shutdown().await;
    w2.shutdown().await;
    let st = store.outbox_stats().await.unwrap();
    assert_eq!(
        (st.delivered, st.pending, st.dead),
        (30, 0, 0),
        "all delivered, including the crashed worker's"
    );
    let s = rec.state.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(s.2, 0, "an event was handled by two workers at once");
    assert_eq!(s.0.len(), 30);
    assert!(
        s.0.values().all(|n| *n == 1),
        "each event handled once here (no failures, no crashes mid-handle)"
    );
}
