//! The outbox port: exclusive claims with leases, retries, dead letters.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Duration;
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{CartId, EventId};
use commerce_core::ports::storage::Store;

use crate::testkit::Harness;

fn events(h: &Harness, n: usize) -> Vec<Event> {
    (0..n)
        .map(|_| Event {
            id: EventId::from_uuid(h.uuid()),
            occurred_at: h.now(),
            kind: EventKind::CartAbandoned { cart_id: CartId::from_uuid(h.uuid()), customer_id: None },
        })
        .collect()
}

/// Many workers claiming concurrently never hold the same entry; an expired lease lets another
/// worker take over; only the lease holder can complete.
pub async fn outbox_claims_are_exclusive(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let evs = events(&h, 40);
    store.append_events(&evs).await.unwrap();
    store.append_events(&evs[..5]).await.unwrap(); // appending the same ids again is a no-op
    let now = h.now();
    let lease = now + Duration::seconds(30);
    let tasks: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_events(&format!("w{w}"), now, lease, 10).await.unwrap() })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for t in tasks {
        for e in t.await.unwrap() {
            total += 1;
            assert!(seen.insert(e.event.id), "event {} claimed twice", e.event.id);
            assert_eq!(e.attempts, 1);
        }
    }
    assert_eq!((total, seen.len()), (40, 40), "every event claimed exactly once");
    assert!(store.claim_events("late", now, lease, 10).await.unwrap().is_empty(), "all leased");
    // a crashed worker: its lease expires and another takes over
    let first = evs[0].id;
    let owner = {
        // find who holds `first` by trying to complete it as each worker
        let mut owner = None;
        for w in 0..8 {
            if store.complete_event(first, &format!("w{w}")).await.unwrap() {
                owner = Some(w);
                break;
            }
        }
        owner.expect("someone held the first event")
    };
    assert!(!store.complete_event(first, &format!("w{owner}")).await.unwrap(), "completed once");
    let after = now + Duration::seconds(31);
    let retaken = store.claim_events("rescuer", after, after + Duration::seconds(30), 100).await.unwrap();
    assert_eq!(retaken.len(), 39, "every other lease expired");
    assert!(retaken.iter().all(|e| e.attempts == 2));
    let victim = retaken[0].event.id;
    assert!(
        !store.complete_event(victim, "w0").await.unwrap() || retaken.is_empty(),
        "old owner lost the lease"
    );
    assert!(store.complete_event(victim, "rescuer").await.unwrap());
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!((stats.pending, stats.delivered, stats.dead), (38, 2, 0));
}

/// A failed attempt is retried at the given time (not before); a final failure dead-letters.
pub async fn outbox_retries_and_dead_letters(store: Arc<dyn Store>) {
    let h = Harness::new(store.clone());
    let evs = events(&h, 1);
    store.append_events(&evs).await.unwrap();
    let id = evs[0].id;
    let t0 = h.now();
    let c = store.claim_events("w", t0, t0 + Duration::seconds(30), 10).await.unwrap();
    assert_eq!(c.len(), 1);
    assert!(store.fail_event(id, "w", "smtp down", Some(t0 + Duration::seconds(10))).await.unwrap());
    assert!(
        store
            .claim_events("w", t0 + Duration::seconds(5), t0 + Duration::seconds(60), 10)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let c =
        store.claim_events("w", t0 + Duration::seconds(10), t0 + Duration::seconds(60), 10).await.unwrap();
    assert_eq!((c.len(), c[0].attempts, c[0].last_error.as_deref()), (1, 2, Some("smtp down")));
    assert!(!store.fail_event(id, "other", "x", None).await.unwrap(), "only the lease holder");
    assert!(store.fail_event(id, "w", "smtp still down", None).await.unwrap());
    assert!(
        store
            .claim_events("w", t0 + Duration::hours(1), t0 + Duration::hours(2), 10)
            .await
            .unwrap()
            .is_empty(),
        "dead"
    );
    let dead = store.dead_events(10).await.unwrap();
    assert_eq!((dead.len(), dead[0].event.id, dead[0].attempts), (1, id, 2));
    assert_eq!(dead[0].last_error.as_deref(), Some("smtp still down"));
    assert_eq!(store.outbox_stats().await.unwrap().dead, 1);
    assert_eq!(store.all_events(10).await.unwrap(), evs, "events round-trip exactly");
}
