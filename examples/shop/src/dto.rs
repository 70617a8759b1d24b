//! The HTTP shapes: separate from the domain types, converted at the edge. Amounts are strings
//! at the currency's precision with a `currency` field next to them.

use std::collections::{BTreeMap, HashMap};

use commerce::account::Account;
use commerce::catalog::{Category, Product};
use commerce::inventory::StockLevel;
use commerce::order::Order;
use commerce::payment::{Payment, PaymentAction};
use commerce::pricing::PricedCart;
use commerce::{Cart, Money, ProductId, Sku};
use serde::Serialize;

/// An amount as text at the currency's precision (`"10.00"`, `"4000"` for KHR... as the
/// currency says).
pub fn amount(m: Money) -> String {
    let minor = m.currency().minor_units();
    let mut a = m.amount();
    if a.scale() < minor {
        a.rescale(minor);
    }
    a.to_string()
}

/// A page of items.
#[derive(Serialize)]
pub struct PageDto<T> {
    /// The items.
    pub items: Vec<T>,
    /// Page number, from 1.
    pub page: u64,
    /// Items per page.
    pub page_size: u64,
    /// Matching items in all pages.
    pub total: u64,
}

/// A list without paging.
#[derive(Serialize)]
pub struct ItemsDto<T> {
    /// The items.
    pub items: Vec<T>,
}

/// A variant.
#[derive(Serialize)]
pub struct VariantDto {
    sku: String,
    name: String,
    options: BTreeMap<String, String>,
    price: Option<String>,
    currency: &'static str,
    available: i64,
    weight_grams: u32,
    tax_class: String,
    active: bool,
}

/// A product.
#[derive(Serialize)]
pub struct ProductDto {
    id: ProductId,
    name: String,
    description: String,
    category_id: Option<commerce::CategoryId>,
    active: bool,
    images: Vec<commerce::catalog::Image>,
    attributes: BTreeMap<String, serde_json::Value>,
    variants: Vec<VariantDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<u32>,
}

impl ProductDto {
    /// A product with availability per SKU (missing stock records read as 0).
    pub fn new(p: Product, currency: commerce::Currency, stock: &HashMap<Sku, i64>) -> Self {
        ProductDto {
            id: p.id,
            category_id: p.category,
            active: p.active,
            variants: p
                .variants
                .into_iter()
                .map(|v| VariantDto {
                    available: stock.get(&v.sku).copied().unwrap_or(0).max(0),
                    price: v.price(currency).map(amount),
                    currency: currency.code(),
                    sku: v.sku.to_string(),
                    name: v.name,
                    options: v.options,
                    weight_grams: v.weight_grams,
                    tax_class: v.tax_class.to_string(),
                    active: v.active,
                })
                .collect(),
            name: p.name,
            description: p.description,
            images: p.images,
            attributes: p.attributes,
            score: None,
        }
    }

    /// With a search score.
    pub fn scored(mut self, score: u32) -> Self {
        self.score = Some(score);
        self
    }
}

/// A category.
#[derive(Serialize)]
pub struct CategoryDto {
    id: commerce::CategoryId,
    name: String,
    slug: String,
    parent_id: Option<commerce::CategoryId>,
    position: u32,
}

impl From<Category> for CategoryDto {
    fn from(c: Category) -> Self {
        CategoryDto { id: c.id, name: c.name, slug: c.slug, parent_id: c.parent, position: c.position }
    }
}

/// A price adjustment.
#[derive(Serialize)]
pub struct AdjustmentDto {
    promotion_id: String,
    label: String,
    amount: String,
}

/// A priced cart line.
#[derive(Serialize)]
pub struct CartLineDto {
    sku: String,
    product_id: Option<ProductId>,
    name: String,
    quantity: u32,
    unit_price: String,
    subtotal: String,
    discount_total: String,
    tax: String,
    total: String,
    adjustments: Vec<AdjustmentDto>,
}

/// The priced cart.
#[derive(Serialize)]
pub struct CartDto {
    id: commerce::CartId,
    currency: &'static str,
    lines: Vec<CartLineDto>,
    order_adjustments: Vec<AdjustmentDto>,
    subtotal: String,
    discount_total: String,
    tax_total: String,
    shipping_total: String,
    total: String,
    shipping_method: Option<String>,
    coupons: Vec<String>,
    applied_coupons: Vec<String>,
    explanation: Vec<commerce::pricing::ExplanationEntry>,
}

impl CartDto {
    /// The cart as priced, with product ids and names from `products` (by SKU).
    pub fn new(cart: &Cart, priced: &PricedCart, products: &HashMap<Sku, (ProductId, String)>) -> Self {
        let adj = |a: &commerce::pricing::Adjustment| AdjustmentDto {
            promotion_id: a.promotion.to_string(),
            label: a.label.to_string(),
            amount: amount(a.amount),
        };
        CartDto {
            id: cart.id(),
            currency: priced.currency.code(),
            lines: priced
                .lines
                .iter()
                .map(|l| {
                    let (product_id, name) = products.get(&l.sku).cloned().unzip();
                    CartLineDto {
                        sku: l.sku.to_string(),
                        product_id,
                        name: name.unwrap_or_default(),
                        quantity: l.quantity.get(),
                        unit_price: amount(l.unit_price),
                        subtotal: amount(l.subtotal),
                        discount_total: amount(l.discount_total),
                        tax: amount(l.tax),
                        total: amount(l.total),
                        adjustments: l.adjustments.iter().map(adj).collect(),
                    }
                })
                .collect(),
            order_adjustments: priced.order_adjustments.iter().map(adj).collect(),
            subtotal: amount(priced.subtotal),
            discount_total: amount(priced.discount_total),
            tax_total: amount(priced.tax_total),
            shipping_total: amount(priced.shipping_total),
            total: amount(priced.grand_total),
            shipping_method: priced.shipping.as_ref().map(|s| s.method.to_string()),
            coupons: cart.coupons().iter().map(|c| c.to_string()).collect(),
            applied_coupons: priced.applied_coupons.iter().map(|c| c.to_string()).collect(),
            explanation: priced.explanation.clone(),
        }
    }
}

/// An order line.
#[derive(Serialize)]
pub struct OrderLineDto {
    sku: String,
    name: String,
    quantity: u32,
    fulfilled: u32,
    unit_price: String,
    total: String,
}

/// An order.
#[derive(Serialize)]
pub struct OrderDto {
    id: commerce::OrderId,
    number: String,
    status: &'static str,
    currency: &'static str,
    lines: Vec<OrderLineDto>,
    subtotal: String,
    discount_total: String,
    tax_total: String,
    shipping_total: String,
    total: String,
    email: String,
    shipping_address: commerce::customer::Address,
    billing_address: commerce::customer::Address,
    cancel_reason: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl From<Order> for OrderDto {
    fn from(o: Order) -> Self {
        let p = &o.priced;
        OrderDto {
            id: o.id,
            status: o.status.as_str(),
            currency: p.currency.code(),
            lines: o
                .lines
                .iter()
                .map(|l| OrderLineDto {
                    sku: l.sku.to_string(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    fulfilled: l.fulfilled,
                    unit_price: amount(l.unit_price),
                    total: amount(l.total),
                })
                .collect(),
            subtotal: amount(p.subtotal),
            discount_total: amount(p.discount_total),
            tax_total: amount(p.tax_total),
            shipping_total: amount(p.shipping_total),
            total: amount(p.grand_total),
            number: o.number,
            email: o.email,
            shipping_address: o.shipping_address,
            billing_address: o.billing_address,
            cancel_reason: o.cancel_reason,
            created_at: o.placed_at,
            updated_at: o.updated_at,
        }
    }
}

/// A payment.
#[derive(Serialize)]
pub struct PaymentDto {
    id: commerce::PaymentId,
    order_id: commerce::OrderId,
    provider: String,
    status: &'static str,
    amount: String,
    captured: String,
    refunded: String,
    currency: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    khqr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    md5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_svg_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_url: Option<String>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<Payment> for PaymentDto {
    fn from(p: Payment) -> Self {
        let mut dto = PaymentDto {
            id: p.id,
            order_id: p.order_id,
            status: p.status.as_str(),
            amount: amount(p.amount),
            captured: amount(p.captured),
            refunded: amount(p.refunded),
            currency: p.amount.currency().code(),
            client_secret: None,
            khqr: None,
            md5: None,
            qr_svg_url: None,
            redirect_url: None,
            expires_at: p.expires_at,
            provider: p.provider,
        };
        // Only an open payment shows how to pay it.
        if matches!(p.status, commerce::payment::PaymentStatus::RequiresAction) {
            match p.action {
                Some(PaymentAction::ShowQr { qr, md5, expires_at }) => {
                    dto.qr_svg_url = Some(format!("/api/payments/{}/qr.svg", p.id));
                    dto.khqr = Some(qr);
                    dto.md5 = Some(md5);
                    dto.expires_at = expires_at.or(dto.expires_at);
                }
                Some(PaymentAction::ConfirmOnClient { client_secret }) => {
                    dto.client_secret = Some(client_secret)
                }
                Some(PaymentAction::Redirect { url }) => dto.redirect_url = Some(url),
                _ => {}
            }
        }
        dto
    }
}

/// A stock level.
#[derive(Serialize)]
pub struct StockDto {
    sku: String,
    on_hand: i64,
    reserved: i64,
    available: i64,
    backorder: bool,
    low_stock_threshold: Option<i64>,
}

impl From<StockLevel> for StockDto {
    fn from(s: StockLevel) -> Self {
        StockDto {
            available: s.available(),
            sku: s.sku.to_string(),
            on_hand: s.on_hand,
            reserved: s.reserved,
            backorder: s.backorder,
            low_stock_threshold: s.low_stock_threshold,
        }
    }
}

/// An account, as its owner sees it.
#[derive(Serialize)]
pub struct AccountDto {
    id: commerce::AccountId,
    customer_id: commerce::CustomerId,
    username: String,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    role: commerce::account::Role,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<Account> for AccountDto {
    fn from(a: Account) -> Self {
        AccountDto {
            id: a.id,
            customer_id: a.customer_id,
            username: a.username.to_string(),
            email: a.email.to_string(),
            first_name: a.first_name,
            last_name: a.last_name,
            role: a.role,
            created_at: a.created_at,
        }
    }
}

/// A product with a count (recommendations, best sellers).
#[derive(Serialize)]
pub struct CountedProductDto {
    /// The product.
    pub product: ProductDto,
    /// Orders in common, or units sold.
    pub count: u64,
}
