//! The conformance kit: one public async function per behaviour every storage backend must show,
//! and [`run_all`]. Each behaviour takes a fresh, empty store and panics with a message when the
//! backend misbehaves. Concurrency behaviours use real concurrent tasks (tokio).
//!
//! **Not semver-stable**: behaviours are added as the ports grow.
//!
//! A backend runs the kit from its own tests, against its real server:
//! ```ignore
//! commerce_storage::conformance_tests!(|| async { std::sync::Arc::new(MyStore::connect(..).await) as _ });
//! ```

mod behaviours;
mod gateway;
mod harness;

use std::future::Future;
use std::sync::Arc;

use commerce_core::ports::storage::Store;

pub use behaviours::*;
pub use gateway::{Script, ScriptedGateway, TEST_SIGNATURE};
pub use harness::Harness;

/// Every behaviour, by name, in the order [`run_all`] runs them.
pub const BEHAVIOURS: &[&str] = &[
    "catalog_round_trip",
    "cart_optimistic_concurrency",
    "checkout_flow_and_illegal_moves",
    "place_order_is_atomic",
    "idempotent_place_order",
    "no_oversell_under_concurrency",
    "reservation_expiry_releases_stock",
    "coupon_limit_under_concurrency",
    "payment_amount_invariants",
    "duplicate_and_out_of_order_notifications",
    "cancel_releases_stock",
    "refund_bounds",
    "confirm_and_notification_race",
    "payment_expiry_cancels_order",
    "long_gateway_references",
    "outbox_claims_are_exclusive",
    "outbox_retries_and_dead_letters",
    "idempotency_records",
    "worker_retries_and_dead_letters",
    "two_workers_never_overlap",
    "account_registration_and_login",
    "account_updates",
    "password_reset_grants",
    "concurrent_password_reset_redemption",
    "concurrent_registrations",
    "recent_activity_per_subject",
    "also_bought_and_popular",
];

/// Runs one behaviour by name on a store.
pub async fn run_one(name: &str, store: Arc<dyn Store>) {
    match name {
        "catalog_round_trip" => catalog_round_trip(store).await,
        "cart_optimistic_concurrency" => cart_optimistic_concurrency(store).await,
        "checkout_flow_and_illegal_moves" => checkout_flow_and_illegal_moves(store).await,
        "place_order_is_atomic" => place_order_is_atomic(store).await,
        "idempotent_place_order" => idempotent_place_order(store).await,
        "no_oversell_under_concurrency" => no_oversell_under_concurrency(store).await,
        "reservation_expiry_releases_stock" => reservation_expiry_releases_stock(store).await,
        "coupon_limit_under_concurrency" => coupon_limit_under_concurrency(store).await,
        "payment_amount_invariants" => payment_amount_invariants(store).await,
        "duplicate_and_out_of_order_notifications" => duplicate_and_out_of_order_notifications(store).await,
        "cancel_releases_stock" => cancel_releases_stock(store).await,
        "refund_bounds" => refund_bounds(store).await,
        "confirm_and_notification_race" => confirm_and_notification_race(store).await,
        "payment_expiry_cancels_order" => payment_expiry_cancels_order(store).await,
        "long_gateway_references" => long_gateway_references(store).await,
        "outbox_claims_are_exclusive" => outbox_claims_are_exclusive(store).await,
        "outbox_retries_and_dead_letters" => outbox_retries_and_dead_letters(store).await,
        "idempotency_records" => idempotency_records(store).await,
        "worker_retries_and_dead_letters" => worker_retries_and_dead_letters(store).await,
        "two_workers_never_overlap" => two_workers_never_overlap(store).await,
        "account_registration_and_login" => account_registration_and_login(store).await,
        "account_updates" => account_updates(store).await,
        "password_reset_grants" => password_reset_grants(store).await,
        "concurrent_password_reset_redemption" => concurrent_password_reset_redemption(store).await,
        "concurrent_registrations" => concurrent_registrations(store).await,
        "recent_activity_per_subject" => recent_activity_per_subject(store).await,
        "also_bought_and_popular" => also_bought_and_popular(store).await,
        other => panic!("unknown behaviour {other}"),
    }
}

/// Runs every behaviour, each on a fresh store from `factory`, skipping none.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    for name in BEHAVIOURS {
        run_one(name, factory().await).await;
    }
}

/// Generates one `#[tokio::test]` per behaviour, each calling `$factory` for a fresh store.
/// `$factory` is an expression of a type implementing `Fn() -> impl Future<Output = Option<Arc<dyn Store>>>`;
/// `None` skips (the backend's server is unreachable and skipping is allowed).
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@each $factory;
            catalog_round_trip, cart_optimistic_concurrency, checkout_flow_and_illegal_moves,
            place_order_is_atomic, idempotent_place_order, no_oversell_under_concurrency,
            reservation_expiry_releases_stock, coupon_limit_under_concurrency, payment_amount_invariants,
            duplicate_and_out_of_order_notifications, cancel_releases_stock, refund_bounds,
            confirm_and_notification_race, payment_expiry_cancels_order, long_gateway_references,
            outbox_claims_are_exclusive,
            outbox_retries_and_dead_letters, idempotency_records, worker_retries_and_dead_letters,
            two_workers_never_overlap, account_registration_and_login, account_updates,
            password_reset_grants, concurrent_password_reset_redemption, concurrent_registrations,
            recent_activity_per_subject, also_bought_and_popular);
    };
    (@each $factory:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(store) = ($factory)().await {
                    $crate::testkit::run_one(stringify!($name), store).await;
                }
            }
        )*
    };
}
