//! The behaviours, grouped by area.

mod accounts;
mod activity;
mod basics;
mod orders;
mod outbox;
mod payments;
mod worker;

pub use accounts::*;
pub use activity::*;
pub use basics::*;
pub use orders::*;
pub use outbox::*;
pub use payments::*;
pub use worker::*;

use commerce_core::events::Event;

/// Events of one type name in the outbox.
pub(crate) async fn events_named(store: &dyn commerce_core::ports::storage::Store, name: &str) -> Vec<Event> {
    store.all_events(100_000).await.expect("all_events").into_iter().filter(|e| e.name() == name).collect()
}
