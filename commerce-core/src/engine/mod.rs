//! The engine service a host calls: carts, pricing, checkout, orders, payments, inventory.
//!
//! [`Commerce`] is generic over the storage port ([`Store`]) and holds payment gateways by name.
//! It keeps no state of its own that correctness depends on, so any number of host processes can
//! share one backend. It does not spawn tasks or sleep: it is runtime-agnostic, and every method
//! is an `async fn` the host awaits on its runtime.
//!
//! Concurrency: every read-modify-write goes through the store's optimistic concurrency
//! (`version` checks) and is retried on conflict up to [`EngineConfig::max_retries`] times; the
//! atomic operations (`reserve`, `place_order`, `save_payment`) are single port calls.

mod account_ops;
mod cart_ops;
mod checkout_ops;
mod discovery_ops;
mod error;
mod express_ops;
mod order_ops;
mod payment_ops;
mod pricing_glue;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

pub use account_ops::{NewAccount, ProfileUpdate};
pub use checkout_ops::UNASSIGNED_PROVIDER;
pub use error::{Error, Result};
pub use express_ops::CheckoutRequest;
pub use payment_ops::StartPaymentOptions;
pub use pricing_glue::PriceOptions;

use crate::cart::CartPolicy;
use crate::events::{Event, EventKind};
use crate::ids::EventId;
use crate::ports::storage::Store;
use crate::ports::{CaptureMode, Clock, IdGenerator, PaymentGateway, SystemClock};

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long a locked quote holds its prices and reserved stock.
    pub reservation_ttl: Duration,
    /// How long an order waits for payment before an expiry sweep cancels it
    /// ([`Commerce::expire_unpaid_orders`]); also the KHQR expiry of a payment started at once.
    pub payment_ttl: Duration,
    /// Limits of new carts.
    pub cart_policy: CartPolicy,
    /// Capture mode asked of gateways by default.
    pub capture_mode: CaptureMode,
    /// With manual capture, capture automatically as soon as a payment is authorized.
    pub capture_on_authorize: bool,
    /// Retries of a read-modify-write that lost an optimistic-concurrency race.
    pub max_retries: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            reservation_ttl: Duration::minutes(15),
            payment_ttl: Duration::minutes(15),
            cart_policy: CartPolicy::default(),
            capture_mode: CaptureMode::Automatic,
            capture_on_authorize: false,
            max_retries: 32,
        }
    }
}

/// The commerce engine.
pub struct Commerce<S: Store + ?Sized> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    gateways: BTreeMap<&'static str, Arc<dyn PaymentGateway>>,
    config: EngineConfig,
}

impl<S: Store + ?Sized> Clone for Commerce<S> {
    fn clone(&self) -> Self {
        Commerce {
            store: self.store.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            gateways: self.gateways.clone(),
            config: self.config.clone(),
        }
    }
}

impl<S: Store + ?Sized> std::fmt::Debug for Commerce<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Commerce")
            .field("backend", &self.store.capabilities().backend)
            .field("gateways", &self.gateways.keys().collect::<Vec<_>>())
            .field("config", &self.config)
            .finish()
    }
}

/// Builds a [`Commerce`].
pub struct CommerceBuilder<S: Store + ?Sized> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    ids: Option<Arc<dyn IdGenerator>>,
    gateways: BTreeMap<&'static str, Arc<dyn PaymentGateway>>,
    config: EngineConfig,
}

impl<S: Store + ?Sized> CommerceBuilder<S> {
    /// Uses `clock` instead of the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    /// Uses `ids` to make ids (required: commerce-core has no source of randomness).
    pub fn ids(mut self, ids: Arc<dyn IdGenerator>) -> Self {
        self.ids = Some(ids);
        self
    }
    /// Registers a payment gateway under its name.
    pub fn gateway(mut self, gateway: Arc<dyn PaymentGateway>) -> Self {
        self.gateways.insert(gateway.name(), gateway);
        self
    }
    /// Replaces the settings.
    pub fn config(mut self, config: EngineConfig) -> Self {
        self.config = config;
        self
    }
    /// Builds the engine. Without an id generator, ids come from a [`crate::ports::SequentialIds`]
    /// seeded from the clock, which is only unique within one process: hosts should pass a
    /// random generator (the `commerce` facade does).
    pub fn build(self) -> Commerce<S> {
        let clock = self.clock;
        let ids = self.ids.unwrap_or_else(|| {
            let seed = u64::try_from(clock.now().timestamp_micros()).unwrap_or(0);
            Arc::new(crate::ports::SequentialIds::new(seed))
        });
        Commerce { store: self.store, clock, ids, gateways: self.gateways, config: self.config }
    }
}

impl<S: Store + ?Sized> Commerce<S> {
    /// Starts building an engine over `store`.
    pub fn builder(store: Arc<S>) -> CommerceBuilder<S> {
        CommerceBuilder {
            store,
            clock: Arc::new(SystemClock),
            ids: None,
            gateways: BTreeMap::new(),
            config: EngineConfig::default(),
        }
    }

    /// The storage backend (for catalog and admin operations the engine passes through).
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The registered gateway names.
    pub fn gateway_names(&self) -> Vec<&'static str> {
        self.gateways.keys().copied().collect()
    }

    fn gateway(&self, name: &str) -> Result<&Arc<dyn PaymentGateway>> {
        self.gateways.get(name).ok_or_else(|| Error::UnknownProvider(name.to_owned()))
    }

    fn event(&self, kind: EventKind) -> Event {
        Event { id: EventId::from_uuid(self.ids.uuid()), occurred_at: self.clock.now(), kind }
    }

    fn events(&self, kinds: Vec<EventKind>) -> Vec<Event> {
        kinds.into_iter().map(|k| self.event(k)).collect()
    }

    /// A human-friendly order number: 8 Crockford base-32 characters in two groups
    /// (`"K7M2-9QXD"`), from a fresh id. Unique by a storage constraint; a collision is retried.
    ///
    /// All 128 bits of the id are mixed (splitmix64 finalizer) before 40 are taken, so ids that
    /// differ anywhere give unrelated numbers: sequential ids with a per-process prefix, random
    /// ids and time-ordered ids all spread evenly.
    fn order_number(&self) -> String {
        const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let (hi, lo) = self.ids.uuid().as_u64_pair();
        let bits = mix64(mix64(hi) ^ lo);
        let mut s = String::with_capacity(9);
        for i in 0..8 {
            if i == 4 {
                s.push('-');
            }
            let idx = usize::try_from((bits >> (i * 5)) & 31).unwrap_or(0);
            s.push(char::from(ALPHABET[idx]));
        }
        s
    }
}

/// The splitmix64 finalizer: a bijective mix where every input bit affects every output bit.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::ports::SequentialIds;

    #[test]
    fn order_numbers_differ_across_id_sequences() {
        // Two "processes" with sequential ids of different prefixes never repeat each other's
        // numbers in a run of 10,000 each (with 40 bits, a collision here would be a bug).
        let mut seen = HashSet::new();
        for prefix in [1_u64, 2] {
            let ids = SequentialIds::new(prefix);
            for _ in 0..10_000 {
                let (hi, lo) = ids.uuid().as_u64_pair();
                assert!(seen.insert(mix64(mix64(hi) ^ lo) & ((1 << 40) - 1)), "repeated number");
            }
        }
    }
}
