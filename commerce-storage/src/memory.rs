//! The in-memory backend: a real, thread-safe implementation of every port.
//!
//! All state sits behind one mutex, so every port method is trivially atomic and linearizable.
//! It is the reference the conformance kit runs first; it is not durable and not shared between
//! processes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_core::account::{Account, PasswordReset};
use commerce_core::activity::{Activity, ActivityKind, ProductCount, Subject};
use commerce_core::cart::Cart;
use commerce_core::catalog::{Category, Product};
use commerce_core::checkout::Checkout;
use commerce_core::customer::{Customer, Email};
use commerce_core::events::{Event, EventKind};
use commerce_core::ids::{
    AccountId, CartId, CategoryId, CheckoutId, CouponCode, CustomerId, EventId, OrderId, PaymentId,
    ProductId, ReservationId, Sku,
};
use commerce_core::inventory::{Reservation, ReservationStatus, StockError, StockLevel, StockLine};
use commerce_core::order::{Order, OrderStatus};
use commerce_core::payment::{Payment, PaymentStatus};
use commerce_core::ports::storage::*;
use commerce_core::pricing::PricingRules;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutboxState {
    Pending,
    Delivered,
    Dead,
}

#[derive(Debug, Clone)]
struct OutboxRow {
    event: Event,
    state: OutboxState,
    attempts: u32,
    lease_owner: Option<String>,
    lease_until: Option<DateTime<Utc>>,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
}

#[derive(Default)]
struct State {
    products: BTreeMap<ProductId, Product>,
    sku_index: HashMap<Sku, ProductId>,
    categories: BTreeMap<CategoryId, Category>,
    customers: HashMap<CustomerId, Customer>,
    carts: HashMap<CartId, (Cart, u64, u64)>,
    cart_seq: u64,
    pricing: Option<PricingRules>,
    coupon_total: HashMap<CouponCode, u32>,
    coupon_by_customer: HashMap<(CouponCode, CustomerId), u32>,
    checkouts: HashMap<CheckoutId, Checkout>,
    stock: BTreeMap<Sku, StockLevel>,
    reservations: HashMap<ReservationId, Reservation>,
    orders: HashMap<OrderId, Order>,
    order_numbers: HashMap<String, OrderId>,
    order_keys: HashMap<String, (String, OrderId)>,
    payments: HashMap<PaymentId, Payment>,
    notifications: HashSet<(String, String)>,
    outbox: Vec<OutboxRow>,
    outbox_index: HashMap<EventId, usize>,
    idempotency: HashMap<String, IdempotencyRecord>,
    accounts: HashMap<AccountId, Account>,
    password_resets: HashMap<String, PasswordReset>,
    /// Activity by subject key, in recording order.
    activity: HashMap<String, Vec<Activity>>,
}

impl State {
    fn push_events(&mut self, events: &[Event]) {
        for e in events {
            if self.outbox_index.contains_key(&e.id) {
                continue;
            }
            self.outbox_index.insert(e.id, self.outbox.len());
            self.outbox.push(OutboxRow {
                event: e.clone(),
                state: OutboxState::Pending,
                attempts: 0,
                lease_owner: None,
                lease_until: None,
                next_attempt_at: e.occurred_at,
                last_error: None,
            });
        }
    }

    fn release(&mut self, id: ReservationId) -> StoreResult<bool> {
        let Some(r) = self.reservations.get(&id) else { return Ok(false) };
        if r.status != ReservationStatus::Active {
            return Ok(false);
        }
        let lines = r.lines.clone();
        for l in &lines {
            if let Some(s) = self.stock.get_mut(&l.sku) {
                s.release(l.quantity).map_err(stock_err)?;
            }
        }
        if let Some(r) = self.reservations.get_mut(&id) {
            r.status = ReservationStatus::Released;
        }
        Ok(true)
    }

    fn low_stock_events(
        &self,
        skus: impl Iterator<Item = Sku>,
        now: DateTime<Utc>,
        ids: &[EventId],
    ) -> Vec<Event> {
        skus.filter_map(|sku| self.stock.get(&sku))
            .filter(|s| s.is_low())
            .zip(ids.iter())
            .map(|(s, id)| Event {
                id: *id,
                occurred_at: now,
                kind: EventKind::StockLow {
                    sku: s.sku.clone(),
                    available: s.available(),
                    threshold: s.low_stock_threshold.unwrap_or(0),
                },
            })
            .collect()
    }
}

fn stock_err(e: StockError) -> StoreError {
    match e {
        StockError::OutOfStock { sku, requested, available } => {
            StoreError::OutOfStock { sku, requested, available }
        }
        StockError::UnknownSku(s) => StoreError::UnknownSku(s),
        other => StoreError::Data(other.to_string()),
    }
}

fn conflict(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::Conflict { entity, id: id.to_string() }
}

/// Derives the ids of `StockLow` events from the order id, so they are deterministic per order
/// (backends agree, and a retried placement never writes two).
pub(crate) fn low_stock_event_ids(order: OrderId, n: usize) -> Vec<EventId> {
    (0..n)
        .map(|i| {
            EventId::from_uuid(uuid::Uuid::new_v5(&order.as_uuid(), format!("stock_low:{i}").as_bytes()))
        })
        .collect()
}

/// The in-memory store.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change: every method
        // validates before it mutates. Recover the guard rather than poisoning every caller.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

impl Store for MemoryStore {
    fn capabilities(&self) -> Capabilities {
        Capabilities { backend: "memory", durable: false, multi_process: false }
    }
}

#[async_trait]
impl CatalogStore for MemoryStore {
    async fn put_product(&self, product: &Product) -> StoreResult<()> {
        let mut s = self.lock();
        for v in &product.variants {
            if let Some(owner) = s.sku_index.get(&v.sku)
                && *owner != product.id
            {
                return Err(conflict("sku", &v.sku));
            }
        }
        if let Some(old) = s.products.get(&product.id).cloned() {
            for v in &old.variants {
                s.sku_index.remove(&v.sku);
            }
        }
        for v in &product.variants {
            s.sku_index.insert(v.sku.clone(), product.id);
        }
        s.products.insert(product.id, product.clone());
        Ok(())
    }

    async fn get_product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        Ok(self.lock().products.get(&id).cloned())
    }

    async fn product_by_sku(&self, sku: &Sku) -> StoreResult<Option<Product>> {
        let s = self.lock();
        Ok(s.sku_index.get(sku).and_then(|id| s.products.get(id)).cloned())
    }

    async fn delete_product(&self, id: ProductId) -> StoreResult<bool> {
        let mut s = self.lock();
        match s.products.remove(&id) {
            Some(p) => {
                for v in &p.variants {
                    s.sku_index.remove(&v.sku);
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn list_products(&self, q: &ProductQuery) -> StoreResult<Page<Product>> {
        let s = self.lock();
        let needle = q.text.as_deref().map(str::to_lowercase);
        let mut matching: Vec<&Product> = s
            .products
            .values()
            .filter(|p| q.include_inactive || p.active)
            .filter(|p| q.category.is_none_or(|c| p.category == Some(c)))
            .filter(|p| {
                needle.as_deref().is_none_or(|n| {
                    p.name.to_lowercase().contains(n) || p.description.to_lowercase().contains(n)
                })
            })
            .collect();
        matching.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        let total = matching.len() as u64;
        let items = matching
            .into_iter()
            .skip(usize::try_from(q.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(q.limit).unwrap_or(usize::MAX))
            .cloned()
            .collect();
        Ok(Page { items, total })
    }

    async fn put_category(&self, category: &Category) -> StoreResult<()> {
        self.lock().categories.insert(category.id, category.clone());
        Ok(())
    }

    async fn delete_category(&self, id: CategoryId) -> StoreResult<bool> {
        Ok(self.lock().categories.remove(&id).is_some())
    }

    async fn list_categories(&self) -> StoreResult<Vec<Category>> {
        Ok(self.lock().categories.values().cloned().collect())
    }
}

#[async_trait]
impl CustomerStore for MemoryStore {
    async fn put_customer(&self, customer: &Customer) -> StoreResult<()> {
        let mut s = self.lock();
        if s.customers.values().any(|c| c.email == customer.email && c.id != customer.id) {
            return Err(conflict("customer email", &customer.email));
        }
        s.customers.insert(customer.id, customer.clone());
        Ok(())
    }

    async fn get_customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        Ok(self.lock().customers.get(&id).cloned())
    }

    async fn customer_by_email(&self, email: &Email) -> StoreResult<Option<Customer>> {
        Ok(self.lock().customers.values().find(|c| &c.email == email).cloned())
    }
}

#[async_trait]
impl CartStore for MemoryStore {
    async fn get_cart(&self, id: CartId) -> StoreResult<Option<(Cart, u64)>> {
        Ok(self.lock().carts.get(&id).map(|(c, v, _)| (c.clone(), *v)))
    }

    async fn cart_of_customer(&self, customer: CustomerId) -> StoreResult<Option<(Cart, u64)>> {
        let s = self.lock();
        Ok(s.carts
            .values()
            .filter(|(c, _, _)| c.customer() == Some(customer))
            .max_by_key(|(_, _, seq)| *seq)
            .map(|(c, v, _)| (c.clone(), *v)))
    }

    async fn save_cart(&self, cart: &Cart, expected_version: Option<u64>) -> StoreResult<u64> {
        let mut s = self.lock();
        let current = s.carts.get(&cart.id()).map(|(_, v, _)| *v);
        if current != expected_version {
            return Err(conflict("cart", cart.id()));
        }
        let v = expected_version.unwrap_or(0) + 1;
        s.cart_seq += 1;
        let seq = s.cart_seq;
        s.carts.insert(cart.id(), (cart.clone(), v, seq));
        Ok(v)
    }

    async fn delete_cart(&self, id: CartId) -> StoreResult<bool> {
        Ok(self.lock().carts.remove(&id).is_some())
    }
}

#[async_trait]
impl PricingStore for MemoryStore {
    async fn pricing_rules(&self) -> StoreResult<PricingRules> {
        Ok(self.lock().pricing.clone().unwrap_or_default())
    }

    async fn put_pricing_rules(&self, rules: &PricingRules) -> StoreResult<()> {
        self.lock().pricing = Some(rules.clone());
        Ok(())
    }

    async fn coupon_usage(&self, code: &CouponCode, customer: Option<CustomerId>) -> StoreResult<(u32, u32)> {
        let s = self.lock();
        let total = s.coupon_total.get(code).copied().unwrap_or(0);
        let mine = customer.and_then(|c| s.coupon_by_customer.get(&(code.clone(), c)).copied()).unwrap_or(0);
        Ok((total, mine))
    }
}

#[async_trait]
impl CheckoutStore for MemoryStore {
    async fn get_checkout(&self, id: CheckoutId) -> StoreResult<Option<Checkout>> {
        Ok(self.lock().checkouts.get(&id).cloned())
    }

    async fn save_checkout(&self, checkout: &Checkout, expected_version: Option<u64>) -> StoreResult<u64> {
        let mut s = self.lock();
        let current = s.checkouts.get(&checkout.id).map(|c| c.version);
        if current != expected_version {
            return Err(conflict("checkout", checkout.id));
        }
        let mut c = checkout.clone();
        c.version = expected_version.unwrap_or(0) + 1;
        let v = c.version;
        s.checkouts.insert(c.id, c);
        Ok(v)
    }
}

#[async_trait]
impl InventoryStore for MemoryStore {
    async fn set_stock(
        &self,
        sku: &Sku,
        on_hand: i64,
        backorder: bool,
        low_stock_threshold: Option<i64>,
    ) -> StoreResult<StockLevel> {
        let mut s = self.lock();
        let level = s.stock.entry(sku.clone()).or_insert_with(|| StockLevel::new(sku.clone(), 0));
        level.on_hand = on_hand;
        level.backorder = backorder;
        level.low_stock_threshold = low_stock_threshold;
        Ok(level.clone())
    }

    async fn adjust_stock(&self, sku: &Sku, delta: i64) -> StoreResult<StockLevel> {
        let mut s = self.lock();
        let level = s.stock.get_mut(sku).ok_or_else(|| StoreError::UnknownSku(sku.clone()))?;
        level.on_hand = level
            .on_hand
            .checked_add(delta)
            .ok_or_else(|| StoreError::Data(format!("stock of {sku} overflows")))?;
        Ok(level.clone())
    }

    async fn get_stock(&self, sku: &Sku) -> StoreResult<Option<StockLevel>> {
        Ok(self.lock().stock.get(sku).cloned())
    }

    async fn reserve(&self, reservation: &Reservation) -> StoreResult<()> {
        let mut s = self.lock();
        if s.reservations.contains_key(&reservation.id) {
            return Err(conflict("reservation", reservation.id));
        }
        // Work on a copy of the touched levels so a failure changes nothing.
        let previous: Vec<ReservationId> = s
            .reservations
            .values()
            .filter(|r| r.checkout_id == reservation.checkout_id && r.status == ReservationStatus::Active)
            .map(|r| r.id)
            .collect();
        let mut levels = s.stock.clone();
        for id in &previous {
            if let Some(r) = s.reservations.get(id) {
                for l in &r.lines {
                    if let Some(level) = levels.get_mut(&l.sku) {
                        level.release(l.quantity).map_err(stock_err)?;
                    }
                }
            }
        }
        for l in commerce_core::inventory::canonical_lines(reservation.lines.iter().cloned()) {
            let level = levels.get_mut(&l.sku).ok_or_else(|| StoreError::UnknownSku(l.sku.clone()))?;
            level.reserve(l.quantity).map_err(stock_err)?;
        }
        s.stock = levels;
        for id in previous {
            if let Some(r) = s.reservations.get_mut(&id) {
                r.status = ReservationStatus::Released;
            }
        }
        let mut r = reservation.clone();
        r.status = ReservationStatus::Active;
        s.reservations.insert(r.id, r);
        Ok(())
    }

    async fn get_reservation(&self, id: ReservationId) -> StoreResult<Option<Reservation>> {
        Ok(self.lock().reservations.get(&id).cloned())
    }

    async fn release_reservation(&self, id: ReservationId) -> StoreResult<bool> {
        self.lock().release(id)
    }

    async fn release_expired_reservations(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<ReservationId>> {
        let mut s = self.lock();
        let mut expired: Vec<(DateTime<Utc>, ReservationId, CheckoutId)> = s
            .reservations
            .values()
            .filter(|r| r.status == ReservationStatus::Active && r.expires_at <= now)
            .map(|r| (r.expires_at, r.id, r.checkout_id))
            .collect();
        expired.sort();
        expired.truncate(limit as usize);
        let mut out = Vec::new();
        for (_, id, checkout_id) in expired {
            s.release(id)?;
            let event_id = EventId::from_uuid(uuid::Uuid::new_v5(&id.as_uuid(), b"reservation_expired"));
            s.push_events(&[Event {
                id: event_id,
                occurred_at: now,
                kind: EventKind::ReservationExpired { checkout_id },
            }]);
            out.push(id);
        }
        Ok(out)
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn place_order(&self, req: PlaceOrder) -> StoreResult<PlaceOrderOutcome> {
        let mut s = self.lock();
        if let Some((fp, id)) = s.order_keys.get(&req.idempotency_key) {
            if *fp != req.fingerprint {
                return Err(StoreError::IdempotencyConflict { key: req.idempotency_key.clone() });
            }
            let order = s.orders.get(id).cloned().ok_or_else(|| StoreError::Data("dangling key".into()))?;
            return Ok(PlaceOrderOutcome::AlreadyPlaced(order));
        }
        let current = s.checkouts.get(&req.checkout.id).map(|c| c.version);
        if current != Some(req.checkout_version) {
            return Err(conflict("checkout", req.checkout.id));
        }
        if s.orders.contains_key(&req.order.id) || s.order_numbers.contains_key(&req.order.number) {
            return Err(conflict("order", &req.order.number));
        }
        // Stock, on a copy.
        let mut levels = s.stock.clone();
        let reservation = s.reservations.get(&req.reservation_id).cloned();
        let reserved = reservation.as_ref().is_some_and(|r| r.is_active_at(req.now));
        for l in commerce_core::inventory::canonical_lines(req.lines.iter().cloned()) {
            let level = levels.get_mut(&l.sku).ok_or_else(|| StoreError::UnknownSku(l.sku.clone()))?;
            if reserved {
                level.commit_reserved(l.quantity).map_err(stock_err)?;
            } else {
                level.commit_unreserved(l.quantity).map_err(stock_err)?;
            }
        }
        // An active-but-expired reservation still holds units: give them back.
        if let Some(r) = reservation.as_ref().filter(|r| !reserved && r.status == ReservationStatus::Active) {
            for l in &r.lines {
                if let Some(level) = levels.get_mut(&l.sku) {
                    level.release(l.quantity).map_err(stock_err)?;
                }
            }
        }
        // Coupons.
        let customer = req.order.customer_id;
        for c in &req.coupons {
            let total = s.coupon_total.get(&c.code).copied().unwrap_or(0);
            if c.total_limit.is_some_and(|lim| total >= lim) {
                return Err(StoreError::CouponExhausted(c.code.clone()));
            }
            if let (Some(lim), Some(cust)) = (c.per_customer_limit, customer)
                && s.coupon_by_customer.get(&(c.code.clone(), cust)).copied().unwrap_or(0) >= lim
            {
                return Err(StoreError::CouponExhausted(c.code.clone()));
            }
        }
        // Everything checked: apply.
        for c in &req.coupons {
            *s.coupon_total.entry(c.code.clone()).or_insert(0) += 1;
            if let Some(cust) = customer {
                *s.coupon_by_customer.entry((c.code.clone(), cust)).or_insert(0) += 1;
            }
        }
        s.stock = levels;
        if let Some(r) = s.reservations.get_mut(&req.reservation_id) {
            r.status = ReservationStatus::Committed;
        }
        let mut checkout = req.checkout.clone();
        checkout.version = req.checkout_version + 1;
        s.checkouts.insert(checkout.id, checkout);
        let mut order = req.order.clone();
        order.version = 1;
        let mut payment = req.payment.clone();
        payment.version = 1;
        s.order_numbers.insert(order.number.clone(), order.id);
        s.order_keys.insert(req.idempotency_key.clone(), (req.fingerprint.clone(), order.id));
        s.orders.insert(order.id, order.clone());
        s.payments.insert(payment.id, payment);
        s.carts.remove(&req.cart_id);
        s.push_events(&req.events);
        let skus: Vec<Sku> = req.lines.iter().map(|l| l.sku.clone()).collect();
        let ids = low_stock_event_ids(order.id, skus.len());
        let low = s.low_stock_events(skus.into_iter(), req.now, &ids);
        s.push_events(&low);
        Ok(PlaceOrderOutcome::Placed(order))
    }

    async fn order_by_idempotency_key(&self, key: &str) -> StoreResult<Option<(String, Order)>> {
        let s = self.lock();
        Ok(s.order_keys.get(key).and_then(|(fp, id)| s.orders.get(id).map(|o| (fp.clone(), o.clone()))))
    }

    async fn get_order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        Ok(self.lock().orders.get(&id).cloned())
    }

    async fn order_by_number(&self, number: &str) -> StoreResult<Option<Order>> {
        let s = self.lock();
        Ok(s.order_numbers.get(number).and_then(|id| s.orders.get(id)).cloned())
    }

    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<Page<Order>> {
        let s = self.lock();
        let mut v: Vec<&Order> = s
            .orders
            .values()
            .filter(|o| q.customer.is_none_or(|c| o.customer_id == Some(c)))
            .filter(|o| q.status.is_none_or(|st| o.status == st))
            .collect();
        v.sort_by(|a, b| b.placed_at.cmp(&a.placed_at).then(b.id.cmp(&a.id)));
        let total = v.len() as u64;
        let items = v
            .into_iter()
            .skip(usize::try_from(q.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(q.limit).unwrap_or(usize::MAX))
            .cloned()
            .collect();
        Ok(Page { items, total })
    }

    async fn update_order(
        &self,
        order: &Order,
        expected_version: u64,
        restock: &[StockLine],
        events: &[Event],
    ) -> StoreResult<u64> {
        let mut s = self.lock();
        let current = s.orders.get(&order.id).map(|o| o.version);
        if current != Some(expected_version) {
            return Err(conflict("order", order.id));
        }
        let mut levels = s.stock.clone();
        for l in restock {
            let level = levels.get_mut(&l.sku).ok_or_else(|| StoreError::UnknownSku(l.sku.clone()))?;
            level.restock(l.quantity).map_err(stock_err)?;
        }
        s.stock = levels;
        let mut o = order.clone();
        o.version = expected_version + 1;
        s.orders.insert(o.id, o);
        s.push_events(events);
        Ok(expected_version + 1)
    }

    async fn stale_pending_orders(&self, before: DateTime<Utc>, limit: u32) -> StoreResult<Vec<OrderId>> {
        let s = self.lock();
        let mut v: Vec<&Order> = s
            .orders
            .values()
            .filter(|o| o.status == OrderStatus::PendingPayment && o.placed_at < before)
            .collect();
        v.sort_by_key(|o| (o.placed_at, o.id));
        Ok(v.into_iter().take(limit as usize).map(|o| o.id).collect())
    }
}

#[async_trait]
impl PaymentStore for MemoryStore {
    async fn get_payment(&self, id: PaymentId) -> StoreResult<Option<Payment>> {
        Ok(self.lock().payments.get(&id).cloned())
    }

    async fn payment_by_reference(&self, provider: &str, reference: &str) -> StoreResult<Option<Payment>> {
        Ok(self
            .lock()
            .payments
            .values()
            .find(|p| p.provider == provider && p.reference.as_deref() == Some(reference))
            .cloned())
    }

    async fn payments_of_order(&self, order: OrderId) -> StoreResult<Vec<Payment>> {
        let s = self.lock();
        let mut v: Vec<Payment> = s.payments.values().filter(|p| p.order_id == order).cloned().collect();
        v.sort_by_key(|p| (p.created_at, p.id));
        Ok(v)
    }

    async fn open_payments(&self, provider: &str, limit: u32) -> StoreResult<Vec<Payment>> {
        let s = self.lock();
        let mut v: Vec<Payment> = s
            .payments
            .values()
            .filter(|p| {
                p.provider == provider
                    && matches!(p.status, PaymentStatus::Pending | PaymentStatus::RequiresAction)
            })
            .cloned()
            .collect();
        v.sort_by_key(|p| (p.created_at, p.id));
        v.truncate(limit as usize);
        Ok(v)
    }

    async fn save_payment(&self, w: PaymentWrite) -> StoreResult<u64> {
        let mut s = self.lock();
        if let Some(n) = &w.notification
            && s.notifications.contains(n)
        {
            return Err(conflict("notification", &n.1));
        }
        let current = s.payments.get(&w.payment.id).map(|p| p.version);
        if current != w.expected_version {
            return Err(conflict("payment", w.payment.id));
        }
        if let Some((order, v)) = &w.order
            && s.orders.get(&order.id).map(|o| o.version) != Some(*v)
        {
            return Err(conflict("order", order.id));
        }
        let mut levels = s.stock.clone();
        for l in &w.restock {
            let level = levels.get_mut(&l.sku).ok_or_else(|| StoreError::UnknownSku(l.sku.clone()))?;
            level.restock(l.quantity).map_err(stock_err)?;
        }
        s.stock = levels;
        let mut p = w.payment.clone();
        p.version = w.expected_version.unwrap_or(0) + 1;
        let v = p.version;
        s.payments.insert(p.id, p);
        if let Some((order, ov)) = w.order {
            let mut o = order;
            o.version = ov + 1;
            s.orders.insert(o.id, o);
        }
        if let Some(n) = w.notification {
            s.notifications.insert(n);
        }
        s.push_events(&w.events);
        Ok(v)
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn append_events(&self, events: &[Event]) -> StoreResult<()> {
        self.lock().push_events(events);
        Ok(())
    }

    async fn claim_events(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEntry>> {
        let mut s = self.lock();
        let mut out = Vec::new();
        for row in s.outbox.iter_mut() {
            if out.len() >= limit as usize {
                break;
            }
            let free = row.lease_until.is_none_or(|t| t <= now);
            if row.state == OutboxState::Pending && row.next_attempt_at <= now && free {
                row.lease_owner = Some(worker.to_owned());
                row.lease_until = Some(lease_until);
                row.attempts += 1;
                out.push(OutboxEntry {
                    event: row.event.clone(),
                    attempts: row.attempts,
                    last_error: row.last_error.clone(),
                });
            }
        }
        Ok(out)
    }

    async fn complete_event(&self, id: EventId, worker: &str) -> StoreResult<bool> {
        let mut s = self.lock();
        let Some(&i) = s.outbox_index.get(&id) else { return Ok(false) };
        let row = &mut s.outbox[i];
        if row.state != OutboxState::Pending || row.lease_owner.as_deref() != Some(worker) {
            return Ok(false);
        }
        row.state = OutboxState::Delivered;
        row.lease_owner = None;
        row.lease_until = None;
        Ok(true)
    }

    async fn fail_event(
        &self,
        id: EventId,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<bool> {
        let mut s = self.lock();
        let Some(&i) = s.outbox_index.get(&id) else { return Ok(false) };
        let row = &mut s.outbox[i];
        if row.state != OutboxState::Pending || row.lease_owner.as_deref() != Some(worker) {
            return Ok(false);
        }
        row.last_error = Some(error.to_owned());
        row.lease_owner = None;
        row.lease_until = None;
        match retry_at {
            Some(t) => row.next_attempt_at = t,
            None => row.state = OutboxState::Dead,
        }
        Ok(true)
    }

    async fn dead_events(&self, limit: u32) -> StoreResult<Vec<OutboxEntry>> {
        Ok(self
            .lock()
            .outbox
            .iter()
            .filter(|r| r.state == OutboxState::Dead)
            .take(limit as usize)
            .map(|r| OutboxEntry {
                event: r.event.clone(),
                attempts: r.attempts,
                last_error: r.last_error.clone(),
            })
            .collect())
    }

    async fn outbox_stats(&self) -> StoreResult<OutboxStats> {
        let s = self.lock();
        let mut st = OutboxStats::default();
        for r in &s.outbox {
            match r.state {
                OutboxState::Pending => st.pending += 1,
                OutboxState::Delivered => st.delivered += 1,
                OutboxState::Dead => st.dead += 1,
            }
        }
        Ok(st)
    }

    async fn all_events(&self, limit: u32) -> StoreResult<Vec<Event>> {
        Ok(self.lock().outbox.iter().take(limit as usize).map(|r| r.event.clone()).collect())
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn get_idempotency(&self, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        Ok(self.lock().idempotency.get(key).cloned())
    }

    async fn put_idempotency(&self, record: &IdempotencyRecord) -> StoreResult<IdempotencyRecord> {
        let mut s = self.lock();
        Ok(s.idempotency.entry(record.key.clone()).or_insert_with(|| record.clone()).clone())
    }
}

/// The case-insensitive comparison key of a username or email.
fn fold(s: &str) -> String {
    s.to_lowercase()
}

impl State {
    /// `Duplicate` if an account other than `id` has the username or email, or a customer other
    /// than `customer` has the email.
    fn check_unique(&self, id: AccountId, customer: CustomerId, account: &Account) -> StoreResult<()> {
        let dup = |field| StoreError::Duplicate { entity: "account", field };
        let username = fold(account.username.as_str());
        let email = fold(account.email.as_str());
        for a in self.accounts.values().filter(|a| a.id != id) {
            if fold(a.username.as_str()) == username {
                return Err(dup("username"));
            }
            if fold(a.email.as_str()) == email {
                return Err(dup("email"));
            }
        }
        if self.customers.values().any(|c| c.id != customer && c.email == account.email) {
            return Err(dup("email"));
        }
        Ok(())
    }

    /// Non-cancelled orders, with each line's product as the catalog knows it now (lines of
    /// SKUs no longer in the catalog left out).
    fn sold_products(&self) -> impl Iterator<Item = (&Order, Vec<(ProductId, u32)>)> {
        self.orders.values().filter(|o| o.status != OrderStatus::Cancelled).map(|o| {
            let lines =
                o.lines.iter().filter_map(|l| self.sku_index.get(&l.sku).map(|p| (*p, l.quantity))).collect();
            (o, lines)
        })
    }
}

/// Counts sorted most first, ties by product id, cut to `limit`.
fn ranked(counts: HashMap<ProductId, u64>, limit: u32) -> Vec<ProductCount> {
    let mut v: Vec<ProductCount> =
        counts.into_iter().map(|(product_id, count)| ProductCount { product_id, count }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.product_id.cmp(&b.product_id)));
    v.truncate(limit as usize);
    v
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn create_account(
        &self,
        customer: &Customer,
        account: &Account,
        events: &[Event],
    ) -> StoreResult<()> {
        let mut s = self.lock();
        if s.accounts.contains_key(&account.id) {
            return Err(conflict("account", account.id));
        }
        if s.customers.contains_key(&customer.id) {
            return Err(conflict("customer", customer.id));
        }
        if account.customer_id != customer.id {
            return Err(StoreError::Data(format!(
                "account {} names customer {}, not {}",
                account.id, account.customer_id, customer.id
            )));
        }
        s.check_unique(account.id, customer.id, account)?;
        if s.customers.values().any(|c| c.email == customer.email) {
            return Err(StoreError::Duplicate { entity: "account", field: "email" });
        }
        let mut a = account.clone();
        a.version = 1;
        s.customers.insert(customer.id, customer.clone());
        s.accounts.insert(a.id, a);
        s.push_events(events);
        Ok(())
    }

    async fn get_account(&self, id: AccountId) -> StoreResult<Option<Account>> {
        Ok(self.lock().accounts.get(&id).cloned())
    }

    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>> {
        let login = fold(login);
        let s = self.lock();
        // A username never contains '@', so at most one account matches.
        Ok(s.accounts
            .values()
            .find(|a| fold(a.username.as_str()) == login || fold(a.email.as_str()) == login)
            .cloned())
    }

    async fn account_of_customer(&self, customer: CustomerId) -> StoreResult<Option<Account>> {
        Ok(self.lock().accounts.values().find(|a| a.customer_id == customer).cloned())
    }

    async fn update_account(&self, account: &Account, expected_version: u64) -> StoreResult<u64> {
        let mut s = self.lock();
        let Some(stored) = s.accounts.get(&account.id).cloned() else {
            return Err(conflict("account", account.id));
        };
        if stored.version != expected_version {
            return Err(conflict("account", account.id));
        }
        s.check_unique(account.id, stored.customer_id, account)?;
        let mut a = account.clone();
        a.customer_id = stored.customer_id;
        a.created_at = stored.created_at;
        a.version = expected_version + 1;
        if let Some(c) = s.customers.get_mut(&stored.customer_id) {
            c.email = a.email.clone();
            c.name = a.display_name();
        }
        s.accounts.insert(a.id, a);
        Ok(expected_version + 1)
    }

    async fn put_password_reset(&self, reset: &PasswordReset, events: &[Event]) -> StoreResult<()> {
        let mut s = self.lock();
        if !s.accounts.contains_key(&reset.account_id) {
            return Err(StoreError::NotFound { entity: "account", id: reset.account_id.to_string() });
        }
        if s.password_resets.contains_key(&reset.token_hash) {
            return Err(conflict("password reset", &reset.token_hash));
        }
        s.password_resets.insert(reset.token_hash.clone(), reset.clone());
        s.push_events(events);
        Ok(())
    }

    async fn redeem_password_reset(
        &self,
        token_hash: &str,
        new_password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AccountId>> {
        let mut s = self.lock();
        let Some(grant) = s.password_resets.get(token_hash).cloned() else { return Ok(None) };
        if now >= grant.expires_at {
            s.password_resets.remove(token_hash);
            return Ok(None);
        }
        let Some(account) = s.accounts.get_mut(&grant.account_id) else {
            s.password_resets.remove(token_hash);
            return Ok(None);
        };
        account.password_hash = new_password_hash.to_owned();
        account.version += 1;
        account.updated_at = now;
        s.password_resets.retain(|_, r| r.account_id != grant.account_id);
        Ok(Some(grant.account_id))
    }
}

#[async_trait]
impl ActivityStore for MemoryStore {
    async fn record_activity(&self, activity: &Activity) -> StoreResult<()> {
        self.lock().activity.entry(activity.subject.key()).or_default().push(activity.clone());
        Ok(())
    }

    async fn recently_viewed(&self, subject: &Subject, limit: u32) -> StoreResult<Vec<ProductId>> {
        let s = self.lock();
        let mut out = Vec::new();
        for a in newest_first(s.activity.get(&subject.key())) {
            if out.len() >= limit as usize {
                break;
            }
            if let ActivityKind::ProductViewed { product_id } = &a.kind
                && !out.contains(product_id)
            {
                out.push(*product_id);
            }
        }
        Ok(out)
    }

    async fn recent_searches(&self, subject: &Subject, limit: u32) -> StoreResult<Vec<String>> {
        let s = self.lock();
        let mut out: Vec<String> = Vec::new();
        for a in newest_first(s.activity.get(&subject.key())) {
            if out.len() >= limit as usize {
                break;
            }
            if let ActivityKind::Searched { query } = &a.kind
                && !out.contains(query)
            {
                out.push(query.clone());
            }
        }
        Ok(out)
    }

    async fn also_bought(&self, product: ProductId, limit: u32) -> StoreResult<Vec<ProductCount>> {
        let s = self.lock();
        let mut counts: HashMap<ProductId, u64> = HashMap::new();
        for (_, lines) in s.sold_products() {
            if !lines.iter().any(|(p, _)| *p == product) {
                continue;
            }
            let others: HashSet<ProductId> =
                lines.iter().map(|(p, _)| *p).filter(|p| *p != product).collect();
            for p in others {
                *counts.entry(p).or_insert(0) += 1;
            }
        }
        Ok(ranked(counts, limit))
    }

    async fn popular_products(
        &self,
        since: Option<DateTime<Utc>>,
        limit: u32,
    ) -> StoreResult<Vec<ProductCount>> {
        let s = self.lock();
        let mut counts: HashMap<ProductId, u64> = HashMap::new();
        for (order, lines) in s.sold_products() {
            if since.is_some_and(|t| order.placed_at < t) {
                continue;
            }
            for (p, q) in lines {
                *counts.entry(p).or_insert(0) += u64::from(q);
            }
        }
        Ok(ranked(counts, limit))
    }
}

/// A subject's activity, most recent first (later records first among equal times).
fn newest_first(records: Option<&Vec<Activity>>) -> Vec<&Activity> {
    let mut v: Vec<(usize, &Activity)> = records.into_iter().flatten().enumerate().collect();
    v.sort_by(|(i, a), (j, b)| b.at.cmp(&a.at).then(j.cmp(i)));
    v.into_iter().map(|(_, a)| a).collect()
}
