//! The cart: a value with operations. Lines keyed by SKU, a fixed currency, quantity bounds.
//!
//! Rules (all violations are typed [`CartError`]s and leave the cart unchanged):
//! - A quantity is a whole number from 1 to the cart's `max_line_quantity` (default 999).
//!   Zero, negative and overflowing quantities are refused by [`Quantity`]'s constructors.
//! - `add` of a SKU already in the cart merges: the quantities are summed, and a sum above the
//!   maximum is refused (nothing is clamped silently).
//! - `set_quantity(sku, 0)` removes the line; `set_quantity` on an absent SKU is `LineNotFound`.
//! - At most `max_lines` distinct SKUs (default 100).
//! - The currency is fixed when the cart is created.
//! - [`Cart::merge_from`] (a guest cart into a customer's cart at login) sums quantities and
//!   *clamps* to the bounds, reporting every line it had to clamp or drop: a login never fails.

use serde::{Deserialize, Serialize};

use crate::ids::{CartId, CouponCode, CustomerId, Sku};
use crate::money::Currency;

/// A line quantity: at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    /// One.
    pub const ONE: Quantity = Quantity(1);

    /// A positive quantity; zero is refused.
    pub fn new(n: u32) -> Result<Self, CartError> {
        if n == 0 {
            Err(CartError::InvalidQuantity { given: 0, reason: "must be at least 1" })
        } else {
            Ok(Quantity(n))
        }
    }

    /// The value.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = CartError;
    fn try_from(n: i64) -> Result<Self, CartError> {
        if n < 0 {
            return Err(CartError::InvalidQuantity { given: n, reason: "must not be negative" });
        }
        let v =
            u32::try_from(n).map_err(|_| CartError::InvalidQuantity { given: n, reason: "is too large" })?;
        Quantity::new(v)
    }
}

impl From<Quantity> for u32 {
    fn from(q: Quantity) -> u32 {
        q.0
    }
}

/// Limits a cart enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartPolicy {
    /// Largest quantity of one line.
    pub max_line_quantity: u32,
    /// Largest number of distinct lines.
    pub max_lines: usize,
}

impl Default for CartPolicy {
    fn default() -> Self {
        CartPolicy { max_line_quantity: 999, max_lines: 100 }
    }
}

/// One line of a cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// What is bought.
    pub sku: Sku,
    /// How many.
    pub quantity: Quantity,
}

/// What went wrong with a cart operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CartError {
    /// A quantity outside 1..=max.
    #[error("invalid quantity {given}: {reason}")]
    InvalidQuantity {
        /// The quantity given.
        given: i64,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The line would exceed the maximum quantity.
    #[error("quantity {requested} of {sku} exceeds the maximum of {max} per line")]
    QuantityExceedsMax {
        /// The SKU.
        sku: Sku,
        /// The resulting quantity that was asked for.
        requested: u64,
        /// The maximum.
        max: u32,
    },
    /// The cart already has the maximum number of lines.
    #[error("the cart already has the maximum of {max} lines")]
    TooManyLines {
        /// The maximum.
        max: usize,
    },
    /// No line for this SKU.
    #[error("{0} is not in the cart")]
    LineNotFound(Sku),
    /// A cart in another currency was merged.
    #[error("cannot merge a {other} cart into a {cart} cart")]
    CurrencyMismatch {
        /// This cart's currency.
        cart: Currency,
        /// The other cart's currency.
        other: Currency,
    },
}

/// A shopping cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    id: CartId,
    currency: Currency,
    customer: Option<CustomerId>,
    lines: Vec<CartLine>,
    coupons: Vec<CouponCode>,
    policy: CartPolicy,
}

/// A line that [`Cart::merge_from`] could not take as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeAdjustment {
    /// The SKU.
    pub sku: Sku,
    /// The quantity the merge would have given.
    pub wanted: u64,
    /// The quantity kept (0 when the line was dropped because the cart was full).
    pub kept: u32,
}

impl Cart {
    /// An empty cart in `currency` with the default policy.
    pub fn new(id: CartId, currency: Currency) -> Self {
        Self::with_policy(id, currency, CartPolicy::default())
    }

    /// An empty cart with explicit limits.
    pub fn with_policy(id: CartId, currency: Currency, policy: CartPolicy) -> Self {
        Cart { id, currency, customer: None, lines: Vec::new(), coupons: Vec::new(), policy }
    }

    /// The cart's id.
    pub fn id(&self) -> CartId {
        self.id
    }
    /// The cart's currency, fixed at creation.
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// The owning customer, if signed in.
    pub fn customer(&self) -> Option<CustomerId> {
        self.customer
    }
    /// The lines, in the order they were first added.
    pub fn lines(&self) -> &[CartLine] {
        &self.lines
    }
    /// Coupon codes entered, in the order entered.
    pub fn coupons(&self) -> &[CouponCode] {
        &self.coupons
    }
    /// The limits this cart enforces.
    pub fn policy(&self) -> CartPolicy {
        self.policy
    }
    /// Whether there are no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
    /// The quantity of `sku` in the cart (0 if absent).
    pub fn quantity_of(&self, sku: &Sku) -> u32 {
        self.lines.iter().find(|l| &l.sku == sku).map_or(0, |l| l.quantity.get())
    }

    /// Assigns the cart to a customer.
    pub fn set_customer(&mut self, customer: Option<CustomerId>) {
        self.customer = customer;
    }

    fn check_max(&self, sku: &Sku, requested: u64) -> Result<Quantity, CartError> {
        if requested > u64::from(self.policy.max_line_quantity) {
            return Err(CartError::QuantityExceedsMax {
                sku: sku.clone(),
                requested,
                max: self.policy.max_line_quantity,
            });
        }
        // requested <= max_line_quantity <= u32::MAX and >= 1 here.
        Quantity::new(u32::try_from(requested).unwrap_or(u32::MAX))
    }

    /// Adds `quantity` of `sku`, merging with an existing line.
    pub fn add(&mut self, sku: Sku, quantity: Quantity) -> Result<(), CartError> {
        match self.lines.iter().position(|l| l.sku == sku) {
            Some(i) => {
                let total = u64::from(self.lines[i].quantity.get()) + u64::from(quantity.get());
                let q = self.check_max(&sku, total)?;
                self.lines[i].quantity = q;
            }
            None => {
                if self.lines.len() >= self.policy.max_lines {
                    return Err(CartError::TooManyLines { max: self.policy.max_lines });
                }
                let q = self.check_max(&sku, u64::from(quantity.get()))?;
                self.lines.push(CartLine { sku, quantity: q });
            }
        }
        Ok(())
    }

    /// Sets the quantity of an existing line; 0 removes it.
    pub fn set_quantity(&mut self, sku: &Sku, quantity: u32) -> Result<(), CartError> {
        let i = self
            .lines
            .iter()
            .position(|l| &l.sku == sku)
            .ok_or_else(|| CartError::LineNotFound(sku.clone()))?;
        if quantity == 0 {
            self.lines.remove(i);
        } else {
            self.lines[i].quantity = self.check_max(sku, u64::from(quantity))?;
        }
        Ok(())
    }

    /// Removes a line.
    pub fn remove(&mut self, sku: &Sku) -> Result<(), CartError> {
        self.set_quantity(sku, 0)
    }

    /// Removes every line and coupon.
    pub fn clear(&mut self) {
        self.lines.clear();
        self.coupons.clear();
    }

    /// Enters a coupon code; entering the same code twice is a no-op. Whether it applies is the
    /// pricing engine's decision (and explanation).
    pub fn apply_coupon(&mut self, code: CouponCode) {
        if !self.coupons.contains(&code) {
            self.coupons.push(code);
        }
    }

    /// Removes a coupon code; absent is a no-op. Returns whether it was there.
    pub fn remove_coupon(&mut self, code: &CouponCode) -> bool {
        let before = self.coupons.len();
        self.coupons.retain(|c| c != code);
        before != self.coupons.len()
    }

    /// Merges a guest cart into this (the customer's) cart at login.
    ///
    /// Quantities of the same SKU are summed and clamped to `max_line_quantity`; new lines that
    /// do not fit under `max_lines` are dropped. Coupons are united. Every clamped or dropped
    /// line is reported. Only a currency mismatch is an error (nothing is merged then).
    pub fn merge_from(&mut self, guest: &Cart) -> Result<Vec<MergeAdjustment>, CartError> {
        if guest.currency != self.currency {
            return Err(CartError::CurrencyMismatch { cart: self.currency, other: guest.currency });
        }
        let max = self.policy.max_line_quantity;
        let mut report = Vec::new();
        for line in &guest.lines {
            let existing = self.quantity_of(&line.sku);
            let wanted = u64::from(existing) + u64::from(line.quantity.get());
            let kept = u32::try_from(wanted.min(u64::from(max))).unwrap_or(max).max(1);
            let room = self.lines.len() < self.policy.max_lines;
            match self.lines.iter_mut().find(|l| l.sku == line.sku) {
                Some(l) => l.quantity = Quantity(kept),
                None if room => self.lines.push(CartLine { sku: line.sku.clone(), quantity: Quantity(kept) }),
                None => {
                    report.push(MergeAdjustment { sku: line.sku.clone(), wanted, kept: 0 });
                    continue;
                }
            }
            if u64::from(kept) != wanted {
                report.push(MergeAdjustment { sku: line.sku.clone(), wanted, kept });
            }
        }
        for c in &guest.coupons {
            self.apply_coupon(c.clone());
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn sku(s: &str) -> Sku {
        Sku::parse(s).unwrap()
    }
    fn q(n: u32) -> Quantity {
        Quantity::new(n).unwrap()
    }
    fn cart(max_q: u32, max_lines: usize) -> Cart {
        Cart::with_policy(
            CartId::from_uuid(Uuid::from_u128(1)),
            Currency::USD,
            CartPolicy { max_line_quantity: max_q, max_lines },
        )
    }

    #[test]
    fn add_merges_and_keeps_order() {
        let mut c = cart(10, 5);
        c.add(sku("A"), q(2)).unwrap();
        c.add(sku("B"), q(1)).unwrap();
        c.add(sku("A"), q(3)).unwrap();
        assert_eq!(
            c.lines().iter().map(|l| (l.sku.as_str(), l.quantity.get())).collect::<Vec<_>>(),
            [("A", 5), ("B", 1)]
        );
    }

    #[test]
    fn bounds_are_enforced_and_leave_the_cart_unchanged() {
        let mut c = cart(10, 2);
        c.add(sku("A"), q(9)).unwrap();
        let before = c.clone();
        assert!(matches!(
            c.add(sku("A"), q(2)),
            Err(CartError::QuantityExceedsMax { requested: 11, max: 10, .. })
        ));
        assert!(matches!(c.add(sku("B"), q(11)), Err(CartError::QuantityExceedsMax { .. })));
        assert_eq!(c, before);
        c.add(sku("B"), q(1)).unwrap();
        assert_eq!(c.add(sku("C"), q(1)), Err(CartError::TooManyLines { max: 2 }));
        assert!(matches!(c.set_quantity(&sku("A"), 11), Err(CartError::QuantityExceedsMax { .. })));
        assert_eq!(c.set_quantity(&sku("Z"), 1), Err(CartError::LineNotFound(sku("Z"))));
        // u32::MAX + u32::MAX does not overflow: the sum is checked in u64.
        let mut big = cart(u32::MAX, 2);
        big.add(sku("A"), q(u32::MAX)).unwrap();
        assert!(matches!(big.add(sku("A"), q(u32::MAX)), Err(CartError::QuantityExceedsMax { .. })));
    }

    #[test]
    fn quantities_from_untrusted_input() {
        assert!(matches!(Quantity::try_from(0), Err(CartError::InvalidQuantity { given: 0, .. })));
        assert!(matches!(Quantity::try_from(-3), Err(CartError::InvalidQuantity { given: -3, .. })));
        assert!(matches!(Quantity::try_from(1_i64 << 40), Err(CartError::InvalidQuantity { .. })));
        assert_eq!(Quantity::try_from(7).unwrap().get(), 7);
        assert!(serde_json::from_str::<Quantity>("0").is_err());
        assert!(serde_json::from_str::<Quantity>("-1").is_err());
        assert!(serde_json::from_str::<Quantity>("1.5").is_err());
    }

    #[test]
    fn set_zero_removes() {
        let mut c = cart(10, 5);
        c.add(sku("A"), q(2)).unwrap();
        c.set_quantity(&sku("A"), 0).unwrap();
        assert!(c.is_empty());
        assert_eq!(c.remove(&sku("A")), Err(CartError::LineNotFound(sku("A"))));
    }

    #[test]
    fn merge_sums_clamps_and_reports() {
        let mut mine = cart(10, 2);
        mine.add(sku("A"), q(8)).unwrap();
        let mut guest = cart(10, 5);
        guest.add(sku("A"), q(5)).unwrap();
        guest.add(sku("B"), q(1)).unwrap();
        guest.add(sku("C"), q(1)).unwrap();
        guest.apply_coupon(CouponCode::parse("welcome10").unwrap());
        let report = mine.merge_from(&guest).unwrap();
        assert_eq!(mine.quantity_of(&sku("A")), 10);
        assert_eq!(mine.quantity_of(&sku("B")), 1);
        assert_eq!(mine.quantity_of(&sku("C")), 0);
        assert_eq!(
            report,
            vec![
                MergeAdjustment { sku: sku("A"), wanted: 13, kept: 10 },
                MergeAdjustment { sku: sku("C"), wanted: 1, kept: 0 },
            ]
        );
        assert_eq!(mine.coupons().len(), 1);
        let khr = Cart::new(CartId::from_uuid(Uuid::from_u128(2)), Currency::KHR);
        assert!(matches!(mine.merge_from(&khr), Err(CartError::CurrencyMismatch { .. })));
    }

    #[test]
    fn coupons_are_a_set() {
        let mut c = cart(10, 5);
        c.apply_coupon(CouponCode::parse("a").unwrap());
        c.apply_coupon(CouponCode::parse("A").unwrap());
        assert_eq!(c.coupons().len(), 1);
        assert!(c.remove_coupon(&CouponCode::parse("a").unwrap()));
        assert!(!c.remove_coupon(&CouponCode::parse("a").unwrap()));
    }
}
