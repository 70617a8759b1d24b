//! A test harness: an engine over the store under test, a stopped clock, the scripted gateway
//! and a small seeded catalog.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use commerce_core::catalog::{Product, Variant};
use commerce_core::customer::{Address, Email};
use commerce_core::engine::{Commerce, EngineConfig, Result};
use commerce_core::ids::{
    CheckoutId, CouponCode, CustomerId, ProductId, Region, ShippingMethodId, Sku, TaxClass,
};
use commerce_core::money::{Currency, Money};
use commerce_core::order::Order;
use commerce_core::ports::storage::Store;
use commerce_core::ports::{FixedClock, IdGenerator, PaymentGateway, SequentialIds};
use commerce_core::pricing::{PricingRules, ShippingMethod};
use commerce_core::{Cart, Quantity};
use rust_decimal::Decimal;

use super::gateway::ScriptedGateway;

static SEQ: AtomicU64 = AtomicU64::new(0);

/// An id generator unique across processes and harnesses: the prefix mixes the process id, the
/// wall-clock time at creation and a per-process counter.
pub(crate) fn unique_ids() -> SequentialIds {
    let nanos = u64::try_from(Utc::now().timestamp_nanos_opt().unwrap_or(0)).unwrap_or(0);
    let prefix =
        nanos ^ (u64::from(std::process::id()) << 40) ^ SEQ.fetch_add(1, Ordering::Relaxed).rotate_left(20);
    SequentialIds::new(prefix)
}

/// Everything a behaviour needs.
pub struct Harness {
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// The engine over it.
    pub engine: Commerce<dyn Store>,
    /// The engine's clock (starts at 2026-01-01T00:00:00Z).
    pub clock: Arc<FixedClock>,
    /// The gateway registered as `"scripted"`.
    pub gateway: Arc<ScriptedGateway>,
    ids: Arc<SequentialIds>,
}

impl Harness {
    /// A harness with the default engine configuration.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_config(store, EngineConfig::default())
    }

    /// A harness with `config`.
    pub fn with_config(store: Arc<dyn Store>, config: EngineConfig) -> Self {
        Self::with_gateways(store, config, Arc::new(FixedClock::new(start_time())), Vec::new())
    }

    /// A harness with `config`, a given clock, and more gateways besides the scripted one
    /// (adapters' end-to-end tests).
    pub fn with_gateways(
        store: Arc<dyn Store>,
        config: EngineConfig,
        clock: Arc<FixedClock>,
        gateways: Vec<Arc<dyn PaymentGateway>>,
    ) -> Self {
        let gateway = Arc::new(ScriptedGateway::new());
        let ids = Arc::new(unique_ids());
        let mut builder = Commerce::builder(store.clone())
            .clock(clock.clone())
            .ids(ids.clone())
            .gateway(gateway.clone())
            .config(config);
        for g in gateways {
            builder = builder.gateway(g);
        }
        let engine = builder.build();
        Harness { store, engine, clock, gateway, ids }
    }

    /// Now, on the harness clock.
    pub fn now(&self) -> DateTime<Utc> {
        use commerce_core::ports::Clock;
        self.clock.now()
    }

    /// A fresh UUID.
    pub fn uuid(&self) -> uuid::Uuid {
        self.ids.uuid()
    }

    /// Adds a single-variant product `sku` priced `price` USD with `stock` units on hand, and
    /// (once) the default rules: a flat 5.00 USD `standard` shipping method, no tax.
    pub async fn seed(&self, sku: &str, price: Decimal, stock: i64) -> Sku {
        let s = Sku::parse(sku).expect("valid sku");
        let product = Product {
            id: ProductId::from_uuid(self.uuid()),
            name: format!("Product {sku}"),
            description: String::new(),
            category: None,
            images: Vec::new(),
            attributes: Default::default(),
            variants: vec![Variant {
                sku: s.clone(),
                name: String::new(),
                options: Default::default(),
                prices: vec![Money::new(price, Currency::USD)],
                weight_grams: 500,
                tax_class: TaxClass::parse("standard").expect("valid class"),
                active: true,
            }],
            active: true,
        };
        self.store.put_product(&product).await.expect("put_product");
        self.store.set_stock(&s, stock, false, None).await.expect("set_stock");
        let mut rules = self.store.pricing_rules().await.expect("rules");
        if rules.shipping_methods.is_empty() {
            rules.shipping_methods.push(ShippingMethod::flat(
                standard(),
                "Standard",
                Money::new(Decimal::new(500, 2), Currency::USD),
            ));
            self.store.put_pricing_rules(&rules).await.expect("put rules");
        }
        s
    }

    /// Replaces the pricing rules, keeping the default shipping method if `rules` has none.
    pub async fn set_rules(&self, mut rules: PricingRules) {
        if rules.shipping_methods.is_empty() {
            rules.shipping_methods.push(ShippingMethod::flat(
                standard(),
                "Standard",
                Money::new(Decimal::new(500, 2), Currency::USD),
            ));
        }
        self.store.put_pricing_rules(&rules).await.expect("put rules");
    }

    /// A cart with `lines`, optionally a coupon, taken through checkout to a locked quote.
    pub async fn checkout(
        &self,
        lines: &[(&Sku, u32)],
        coupon: Option<&str>,
        customer: Option<CustomerId>,
    ) -> Result<CheckoutId> {
        let cart = self.cart(lines, coupon, customer).await?;
        let c = self.engine.start_checkout(cart.id()).await?;
        self.engine.set_checkout_addresses(c.id, email(), address(), None).await?;
        self.engine.select_shipping(c.id, standard()).await?;
        self.engine.lock_quote(c.id).await?;
        Ok(c.id)
    }

    /// A stored cart with `lines` and optionally a coupon.
    pub async fn cart(
        &self,
        lines: &[(&Sku, u32)],
        coupon: Option<&str>,
        customer: Option<CustomerId>,
    ) -> Result<Cart> {
        let cart = self.engine.create_cart(Currency::USD, customer).await?;
        for (sku, q) in lines {
            self.engine.add_to_cart(cart.id(), sku, Quantity::new(*q)?).await?;
        }
        if let Some(code) = coupon {
            self.engine.apply_coupon(cart.id(), CouponCode::parse(code).expect("valid code")).await?;
        }
        self.engine.cart(cart.id()).await
    }

    /// Checkout and place an order with a fresh idempotency key.
    pub async fn buy(&self, lines: &[(&Sku, u32)]) -> Result<Order> {
        let id = self.checkout(lines, None, None).await?;
        self.engine.place_order(id, &format!("key-{}", self.uuid())).await
    }

    /// Stock available for `sku`.
    pub async fn available(&self, sku: &Sku) -> i64 {
        self.store.get_stock(sku).await.expect("get_stock").expect("stock record").available()
    }
}

/// 2026-01-01T00:00:00Z.
pub fn start_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

/// The default shipping method's id.
pub fn standard() -> ShippingMethodId {
    ShippingMethodId::parse("standard").unwrap_or_else(|_| unreachable!("valid id"))
}

/// A buyer's email.
pub fn email() -> Email {
    Email::parse("buyer@example.com").unwrap_or_else(|_| unreachable!("valid email"))
}

/// A Cambodian address.
pub fn address() -> Address {
    Address {
        name: "Sok Dara".into(),
        line1: "12 Street 240".into(),
        line2: None,
        city: "Phnom Penh".into(),
        region: None,
        postal_code: Some("12207".into()),
        country: Region::parse("KH").unwrap_or_else(|_| unreachable!("valid region")),
        phone: None,
    }
}
