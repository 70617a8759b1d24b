//! Storage ports.
//!
//! Each trait groups the operations of one aggregate. [`Store`] is all of them; the engine is
//! generic over it and the conformance kit (`commerce-storage`, feature `testkit`) proves every
//! backend against the same behaviours.
//!
//! General contract:
//! - Every method is atomic: it either happens entirely or not at all.
//! - Aggregates carry a `version`. `save_*` methods with `expected_version: Some(v)` succeed only if
//!   the stored version is still `v` and then store `v + 1`; otherwise they fail with
//!   [`StoreError::Conflict`] and change nothing. `expected_version: None` inserts, and fails with
//!   `Conflict` if the id exists. The caller reloads and retries on `Conflict`.
//! - Methods that change state and emit events write the events to the outbox in the same
//!   transaction (the transactional outbox): an event exists if and only if its change happened.
//! - Methods are safe to call concurrently from many tasks and many processes sharing the backend;
//!   nothing correctness depends on may live in process memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account::{Account, PasswordReset};
use crate::activity::{Activity, ProductCount, Subject};
use crate::cart::Cart;
use crate::catalog::{Category, Product};
use crate::checkout::Checkout;
use crate::customer::{Customer, Email};
use crate::events::Event;
use crate::ids::{
    AccountId, CartId, CategoryId, CheckoutId, CouponCode, CustomerId, EventId, OrderId, PaymentId,
    ProductId, ReservationId, Sku,
};
use crate::inventory::{Reservation, StockLevel, StockLine};
use crate::order::{Order, OrderStatus};
use crate::payment::Payment;
use crate::pricing::PricingRules;

/// Errors every backend reports the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record does not exist.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// An optimistic-concurrency check failed, or an insert hit an existing id: reload and retry.
    #[error("conflict on {entity} {id}: it changed or already exists")]
    Conflict {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// Not enough stock (no backorder).
    #[error("out of stock: {sku} requested {requested}, available {available}")]
    OutOfStock {
        /// The SKU.
        sku: Sku,
        /// Units asked.
        requested: i64,
        /// Units available.
        available: i64,
    },
    /// A SKU with no stock record.
    #[error("no stock record for {0}")]
    UnknownSku(Sku),
    /// A coupon's total or per-customer usage limit was reached while placing the order.
    #[error("coupon {0} has reached its usage limit")]
    CouponExhausted(CouponCode),
    /// The idempotency key was used before for a different request.
    #[error("idempotency key {key:?} was already used for a different request")]
    IdempotencyConflict {
        /// The key.
        key: String,
    },
    /// An insert would break a uniqueness rule other than the id (a username or email already
    /// taken).
    #[error("{entity} with this {field} already exists")]
    Duplicate {
        /// What kind of record.
        entity: &'static str,
        /// The field that must be unique (`"username"`, `"email"`).
        field: &'static str,
    },
    /// A value could not be encoded or decoded by the backend (corrupt row, schema drift).
    #[error("data error: {0}")]
    Data(String),
    /// The backend failed or could not be reached.
    #[error("storage backend error: {0}")]
    Backend(String),
    /// The backend does not support this operation (see [`Capabilities`]).
    #[error("{backend} does not support {operation}")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The backend.
        backend: &'static str,
    },
}

/// A `Result` with [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;

/// What a backend supports; the conformance kit skips behaviours a backend declares it lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The backend's name (`"memory"`, `"sqlite"`, `"mysql"`).
    pub backend: &'static str,
    /// Data survives a process restart.
    pub durable: bool,
    /// Several processes may share it.
    pub multi_process: bool,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Total matching items.
    pub total: u64,
}

/// Product listing filters. Text search matches name or description, case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductQuery {
    /// Only this category (not its descendants).
    pub category: Option<CategoryId>,
    /// Substring to look for in name or description.
    pub text: Option<String>,
    /// Include inactive products.
    pub include_inactive: bool,
    /// Items to skip.
    pub offset: u64,
    /// Items to return (at most).
    pub limit: u64,
}

/// Order listing filters, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderQuery {
    /// Only this customer's orders.
    pub customer: Option<CustomerId>,
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Items to skip.
    pub offset: u64,
    /// Items to return (at most).
    pub limit: u64,
}

/// Products and categories.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// Inserts or replaces a product (and its variants). A SKU used by another product is a
    /// `Conflict`.
    async fn put_product(&self, product: &Product) -> StoreResult<()>;
    /// A product by id.
    async fn get_product(&self, id: ProductId) -> StoreResult<Option<Product>>;
    /// The product holding `sku`.
    async fn product_by_sku(&self, sku: &Sku) -> StoreResult<Option<Product>>;
    /// Deletes a product; `false` if it did not exist.
    async fn delete_product(&self, id: ProductId) -> StoreResult<bool>;
    /// Products matching `query`, ordered by name then id.
    async fn list_products(&self, query: &ProductQuery) -> StoreResult<Page<Product>>;
    /// Inserts or replaces a category. The caller validates the tree.
    async fn put_category(&self, category: &Category) -> StoreResult<()>;
    /// Deletes a category; `false` if it did not exist.
    async fn delete_category(&self, id: CategoryId) -> StoreResult<bool>;
    /// All categories.
    async fn list_categories(&self) -> StoreResult<Vec<Category>>;
}

/// Customers.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Inserts or replaces a customer. An email used by another customer is a `Conflict`.
    async fn put_customer(&self, customer: &Customer) -> StoreResult<()>;
    /// A customer by id.
    async fn get_customer(&self, id: CustomerId) -> StoreResult<Option<Customer>>;
    /// A customer by email (exact match on the normalized address).
    async fn customer_by_email(&self, email: &Email) -> StoreResult<Option<Customer>>;
}

/// Carts.
#[async_trait]
pub trait CartStore: Send + Sync {
    /// A cart by id, with its version.
    async fn get_cart(&self, id: CartId) -> StoreResult<Option<(Cart, u64)>>;
    /// The most recently saved cart of a customer.
    async fn cart_of_customer(&self, customer: CustomerId) -> StoreResult<Option<(Cart, u64)>>;
    /// Saves with optimistic concurrency (see the module docs); returns the new version.
    async fn save_cart(&self, cart: &Cart, expected_version: Option<u64>) -> StoreResult<u64>;
    /// Deletes a cart; `false` if it did not exist.
    async fn delete_cart(&self, id: CartId) -> StoreResult<bool>;
}

/// Price lists, promotions, tax rules and shipping methods, as one versioned document.
#[async_trait]
pub trait PricingStore: Send + Sync {
    /// The current rules (empty rules if never saved).
    async fn pricing_rules(&self) -> StoreResult<PricingRules>;
    /// Replaces the rules.
    async fn put_pricing_rules(&self, rules: &PricingRules) -> StoreResult<()>;
    /// How many orders redeemed `code` in all, and by `customer`.
    async fn coupon_usage(&self, code: &CouponCode, customer: Option<CustomerId>) -> StoreResult<(u32, u32)>;
}

/// Checkouts.
#[async_trait]
pub trait CheckoutStore: Send + Sync {
    /// A checkout by id.
    async fn get_checkout(&self, id: CheckoutId) -> StoreResult<Option<Checkout>>;
    /// Saves with optimistic concurrency on `checkout.version` (`None` = insert); returns the
    /// new version. The stored record's version is the returned one.
    async fn save_checkout(&self, checkout: &Checkout, expected_version: Option<u64>) -> StoreResult<u64>;
}

/// Stock levels and reservations.
#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Sets a SKU's on-hand count, backorder flag and low-stock threshold, creating the record if
    /// needed. `reserved` is kept.
    async fn set_stock(
        &self,
        sku: &Sku,
        on_hand: i64,
        backorder: bool,
        low_stock_threshold: Option<i64>,
    ) -> StoreResult<StockLevel>;
    /// Adds `delta` (may be negative) to on-hand; `UnknownSku` if there is no record.
    async fn adjust_stock(&self, sku: &Sku, delta: i64) -> StoreResult<StockLevel>;
    /// A SKU's stock.
    async fn get_stock(&self, sku: &Sku) -> StoreResult<Option<StockLevel>>;
    /// Reserves every line for a checkout, all or nothing, in canonical SKU order.
    ///
    /// If the checkout already has an active reservation it is released in the same transaction
    /// (a re-lock never holds stock twice). Fails with `OutOfStock` (naming the first SKU short)
    /// or `UnknownSku`, changing nothing. Concurrent reservations never take available stock
    /// below zero without backorder.
    async fn reserve(&self, reservation: &Reservation) -> StoreResult<()>;
    /// A reservation by id.
    async fn get_reservation(&self, id: ReservationId) -> StoreResult<Option<Reservation>>;
    /// Releases an active reservation; releasing a released or committed one is a no-op.
    /// Returns whether stock was given back.
    async fn release_reservation(&self, id: ReservationId) -> StoreResult<bool>;
    /// Releases up to `limit` active reservations that expired at `now`, writing a
    /// `ReservationExpired` event for each to the outbox. Returns their ids.
    async fn release_expired_reservations(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ReservationId>>;
}

/// A coupon redemption to record with an order, within its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRedemption {
    /// The code.
    pub code: CouponCode,
    /// Total uses allowed, if limited.
    pub total_limit: Option<u32>,
    /// Uses per customer allowed, if limited (guests count under `None` and are not limited
    /// per customer).
    pub per_customer_limit: Option<u32>,
}

/// Everything `place_order` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceOrder {
    /// The order (version 0, status pending payment).
    pub order: Order,
    /// The checkout, already moved to `completed`, and the version it had when loaded.
    pub checkout: Checkout,
    /// The checkout's version when loaded.
    pub checkout_version: u64,
    /// The reservation to convert.
    pub reservation_id: ReservationId,
    /// The stock to take (canonical order).
    pub lines: Vec<StockLine>,
    /// Coupons to redeem.
    pub coupons: Vec<CouponRedemption>,
    /// The payment record (version 0).
    pub payment: Payment,
    /// Events to write to the outbox.
    pub events: Vec<Event>,
    /// The cart to delete.
    pub cart_id: CartId,
    /// Idempotency key.
    pub idempotency_key: String,
    /// A fingerprint of the request: the same key with another fingerprint is a conflict.
    pub fingerprint: String,
    /// Now.
    pub now: DateTime<Utc>,
}

/// What `place_order` did.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceOrderOutcome {
    /// The order was written now.
    Placed(Order),
    /// The key was used before with the same fingerprint: this is the order it placed.
    AlreadyPlaced(Order),
}

/// Orders.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Places an order, atomically:
    ///
    /// 1. If `idempotency_key` was used: same fingerprint -> `AlreadyPlaced(order)` and nothing
    ///    else happens; different fingerprint -> `IdempotencyConflict`.
    /// 2. The checkout must still be at `checkout_version` (else `Conflict`); it is saved as given.
    /// 3. Stock: if the reservation is active and unexpired at `now`, each line converts reserved
    ///    units into a sale (`on_hand -= q`, `reserved -= q`); otherwise availability is checked
    ///    again and the units are taken directly (`OutOfStock` if they are no longer there).
    ///    Lines are processed in canonical SKU order. The reservation becomes committed.
    /// 4. Each coupon's usage is incremented within its limits (`CouponExhausted` otherwise).
    /// 5. The order, the payment record, the events and the idempotency record are written; the
    ///    cart is deleted; a `StockLow` event is written for each SKU that ends at or below its
    ///    threshold.
    ///
    /// On any error nothing is written.
    async fn place_order(&self, request: PlaceOrder) -> StoreResult<PlaceOrderOutcome>;
    /// The order placed with `idempotency_key`, with the fingerprint of the request that placed it.
    async fn order_by_idempotency_key(&self, key: &str) -> StoreResult<Option<(String, Order)>>;
    /// An order by id.
    async fn get_order(&self, id: OrderId) -> StoreResult<Option<Order>>;
    /// An order by its number.
    async fn order_by_number(&self, number: &str) -> StoreResult<Option<Order>>;
    /// Orders matching `query`, newest first.
    async fn list_orders(&self, query: &OrderQuery) -> StoreResult<Page<Order>>;
    /// Saves an order (optimistic concurrency on `expected_version`), returns stock in `restock`
    /// to on-hand, and writes `events`, atomically. Returns the new version.
    async fn update_order(
        &self,
        order: &Order,
        expected_version: u64,
        restock: &[StockLine],
        events: &[Event],
    ) -> StoreResult<u64>;
    /// Order ids in status `pending_payment` placed before `before` (for expiry sweeps).
    async fn stale_pending_orders(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OrderId>>;
}

/// A payment change to store.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentWrite {
    /// The payment as it should be stored.
    pub payment: Payment,
    /// Its version when loaded (`None` = a new payment).
    pub expected_version: Option<u64>,
    /// The order to save with it, and the order's version when loaded.
    pub order: Option<(Order, u64)>,
    /// Stock to return to on-hand (the order was cancelled with this change).
    pub restock: Vec<StockLine>,
    /// Events to write.
    pub events: Vec<Event>,
    /// A gateway notification this change handled: `(provider, notification id)`. If it was
    /// recorded before, the write fails with `Conflict` on entity `"notification"` and nothing
    /// changes, so a duplicate notification is handled once.
    pub notification: Option<(String, String)>,
}

impl PaymentWrite {
    /// A write of the payment alone: no order change, no stock, no events, no notification.
    pub fn payment_only(payment: Payment, expected_version: Option<u64>) -> Self {
        PaymentWrite {
            payment,
            expected_version,
            order: None,
            restock: Vec::new(),
            events: Vec::new(),
            notification: None,
        }
    }
}

/// Payments.
#[async_trait]
pub trait PaymentStore: Send + Sync {
    /// A payment by id.
    async fn get_payment(&self, id: PaymentId) -> StoreResult<Option<Payment>>;
    /// A payment by the gateway's reference.
    async fn payment_by_reference(&self, provider: &str, reference: &str) -> StoreResult<Option<Payment>>;
    /// An order's payments, oldest first.
    async fn payments_of_order(&self, order: OrderId) -> StoreResult<Vec<Payment>>;
    /// Payments of `provider` in `pending` or `requires_action`, oldest first (pollers).
    async fn open_payments(&self, provider: &str, limit: u32) -> StoreResult<Vec<Payment>>;
    /// Writes a payment change atomically (see [`PaymentWrite`]); optimistic concurrency on the
    /// payment and on the order. Returns the payment's new version.
    async fn save_payment(&self, write: PaymentWrite) -> StoreResult<u64>;
}

/// An event in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// The event.
    pub event: Event,
    /// Delivery attempts made so far (including the current one, when claimed).
    pub attempts: u32,
    /// The last error, if a previous attempt failed.
    pub last_error: Option<String>,
}

/// Counts of outbox entries by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxStats {
    /// Waiting or leased.
    pub pending: u64,
    /// Delivered.
    pub delivered: u64,
    /// Given up on.
    pub dead: u64,
}

/// The transactional outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Appends events on their own (changes that come with events use the atomic methods).
    async fn append_events(&self, events: &[Event]) -> StoreResult<()>;
    /// Claims up to `limit` deliverable entries for `worker` until `lease_until`: entries that are
    /// pending, due (`next_attempt_at <= now`) and not leased by anyone (or whose lease expired).
    /// Claiming increments `attempts`. Two workers never hold the same entry at once. Oldest first.
    async fn claim_events(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEntry>>;
    /// Marks a claimed entry delivered. `false` if `worker` no longer holds the lease.
    async fn complete_event(&self, id: EventId, worker: &str) -> StoreResult<bool>;
    /// Records a failed attempt: retry at `retry_at`, or dead-letter when `retry_at` is `None`.
    /// `false` if `worker` no longer holds the lease.
    async fn fail_event(
        &self,
        id: EventId,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool>;
    /// Dead-lettered entries, oldest first.
    async fn dead_events(&self, limit: u32) -> StoreResult<Vec<OutboxEntry>>;
    /// Counts by state.
    async fn outbox_stats(&self) -> StoreResult<OutboxStats>;
    /// All events, oldest first (tests and audits; backends may cap it).
    async fn all_events(&self, limit: u32) -> StoreResult<Vec<Event>>;
}

/// A stored idempotency record: the answer to replay for a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// The key (scoped by the caller, e.g. `"refund:<key>"`).
    pub key: String,
    /// Fingerprint of the request.
    pub fingerprint: String,
    /// The stored answer (JSON).
    pub response: String,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// Idempotency records for operations other than `place_order` (which keeps its own).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// The record for `key`.
    async fn get_idempotency(&self, key: &str) -> StoreResult<Option<IdempotencyRecord>>;
    /// Stores `record` unless the key exists; returns the record that is stored afterwards (the
    /// existing one if there was one).
    async fn put_idempotency(&self, record: &IdempotencyRecord) -> StoreResult<IdempotencyRecord>;
}

/// User accounts and password resets.
///
/// Usernames and emails are unique across accounts, compared case-insensitively (usernames are
/// stored lower-cased; emails are compared by their lower-cased form).
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Inserts `customer`, `account` (whose `customer_id` is `customer.id`) and `events` in one
    /// transaction: all or nothing. Fails with [`StoreError::Duplicate`] (`entity: "account"`, `field: "username"` or
    /// `"email"`) if another account has the username or email, with `Conflict` if either id
    /// exists. The stored account has version 1.
    async fn create_account(
        &self,
        customer: &Customer,
        account: &Account,
        events: &[Event],
    ) -> StoreResult<()>;
    /// The account with `id`.
    async fn get_account(&self, id: AccountId) -> StoreResult<Option<Account>>;
    /// The account whose username or email equals `login`, case-insensitively.
    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>>;
    /// The account of `customer`.
    async fn account_of_customer(&self, customer: CustomerId) -> StoreResult<Option<Account>>;
    /// Replaces the account if its stored version is `expected_version` (then stores
    /// `expected_version + 1` and returns it); `Conflict` otherwise, `Duplicate` if a changed
    /// email is taken. The customer's email and name follow the account's.
    async fn update_account(&self, account: &Account, expected_version: u64) -> StoreResult<u64>;
    /// Stores a reset grant and `events` (the email job) in one transaction.
    async fn put_password_reset(&self, reset: &PasswordReset, events: &[Event]) -> StoreResult<()>;
    /// Redeems the grant whose hash is `token_hash` if it exists and `now < expires_at`: in one
    /// transaction sets the account's password hash to `new_password_hash` (bumping its version)
    /// and deletes every grant of that account. Returns the account id, or `None` if the token is
    /// unknown, used or expired (expired grants are deleted). Of concurrent redemptions of one
    /// token at most one succeeds.
    async fn redeem_password_reset(
        &self,
        token_hash: &str,
        new_password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AccountId>>;
}

/// Shopper activity and purchase-derived discovery.
#[async_trait]
pub trait ActivityStore: Send + Sync {
    /// Appends one activity record.
    async fn record_activity(&self, activity: &Activity) -> StoreResult<()>;
    /// Products `subject` viewed, most recent view first, each once, at most `limit`.
    async fn recently_viewed(&self, subject: &Subject, limit: u32) -> StoreResult<Vec<ProductId>>;
    /// Search queries `subject` ran, most recent first, each once, at most `limit`.
    async fn recent_searches(&self, subject: &Subject, limit: u32) -> StoreResult<Vec<String>>;
    /// "Customers also bought": other products that appear in orders containing any variant of
    /// `product`, with the number of such orders, most first (ties by product id). Cancelled
    /// orders do not count; SKUs no longer in the catalog are left out.
    async fn also_bought(&self, product: ProductId, limit: u32) -> StoreResult<Vec<ProductCount>>;
    /// Best sellers: units sold per product in orders placed at or after `since` (all time when
    /// `None`), most first (ties by product id). Cancelled orders do not count.
    async fn popular_products(
        &self,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> StoreResult<Vec<ProductCount>>;
}

/// Every storage port: what the engine needs from a backend.
pub trait Store:
    CatalogStore
    + CustomerStore
    + CartStore
    + PricingStore
    + CheckoutStore
    + InventoryStore
    + OrderStore
    + PaymentStore
    + OutboxStore
    + IdempotencyStore
    + AccountStore
    + ActivityStore
{
    /// What the backend supports.
    fn capabilities(&self) -> Capabilities;
}
