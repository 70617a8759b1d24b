//! Inventory: per-SKU stock levels and reservations.
//!
//! `available = on_hand - reserved`. A reservation holds stock for a checkout for a time to live;
//! placing the order commits it (`on_hand -= q`, `reserved -= q`); cancelling or expiry releases it
//! (`reserved -= q`). Without backorder, `available` never goes below zero: a reservation that
//! would take it there is refused with [`StockError::OutOfStock`]. With backorder, it may.
//!
//! The functions here are the specification every storage backend implements atomically (the
//! in-memory backend calls them under a lock; SQL backends express them as conditional updates).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CheckoutId, ReservationId, Sku};

/// The stock of one SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    /// The SKU.
    pub sku: Sku,
    /// Units physically held (may go negative only with backorder).
    pub on_hand: i64,
    /// Units held for checkouts in progress.
    pub reserved: i64,
    /// Whether orders may take stock below zero.
    pub backorder: bool,
    /// A `StockLow` event is emitted when available stock falls to or below this.
    pub low_stock_threshold: Option<i64>,
}

/// Stock errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StockError {
    /// Not enough available stock.
    #[error("out of stock: {sku} requested {requested}, available {available}")]
    OutOfStock {
        /// The SKU.
        sku: Sku,
        /// Units asked for.
        requested: i64,
        /// Units available.
        available: i64,
    },
    /// The SKU has no stock record.
    #[error("no stock record for {0}")]
    UnknownSku(Sku),
    /// A quantity that is not positive, or arithmetic past i64.
    #[error("invalid stock quantity {0}")]
    InvalidQuantity(i64),
}

impl StockLevel {
    /// A level with `on_hand` units and nothing reserved.
    pub fn new(sku: Sku, on_hand: i64) -> Self {
        StockLevel { sku, on_hand, reserved: 0, backorder: false, low_stock_threshold: None }
    }

    /// `on_hand - reserved`.
    pub fn available(&self) -> i64 {
        self.on_hand.saturating_sub(self.reserved)
    }

    fn check_qty(q: i64) -> Result<(), StockError> {
        if q <= 0 { Err(StockError::InvalidQuantity(q)) } else { Ok(()) }
    }

    /// Holds `q` units. Refused when that would take `available` below zero without backorder.
    pub fn reserve(&mut self, q: i64) -> Result<(), StockError> {
        Self::check_qty(q)?;
        if !self.backorder && self.available() < q {
            return Err(StockError::OutOfStock {
                sku: self.sku.clone(),
                requested: q,
                available: self.available(),
            });
        }
        self.reserved = self.reserved.checked_add(q).ok_or(StockError::InvalidQuantity(q))?;
        Ok(())
    }

    /// Gives back `q` reserved units (never below zero reserved).
    pub fn release(&mut self, q: i64) -> Result<(), StockError> {
        Self::check_qty(q)?;
        self.reserved = (self.reserved - q).max(0);
        Ok(())
    }

    /// Converts `q` reserved units into a sale: `on_hand -= q`, `reserved -= q`.
    pub fn commit_reserved(&mut self, q: i64) -> Result<(), StockError> {
        Self::check_qty(q)?;
        self.on_hand = self.on_hand.checked_sub(q).ok_or(StockError::InvalidQuantity(q))?;
        self.reserved = (self.reserved - q).max(0);
        Ok(())
    }

    /// Sells `q` units that were not reserved (the reservation expired meanwhile): re-checks
    /// availability like [`StockLevel::reserve`], then takes them from `on_hand`.
    pub fn commit_unreserved(&mut self, q: i64) -> Result<(), StockError> {
        Self::check_qty(q)?;
        if !self.backorder && self.available() < q {
            return Err(StockError::OutOfStock {
                sku: self.sku.clone(),
                requested: q,
                available: self.available(),
            });
        }
        self.on_hand = self.on_hand.checked_sub(q).ok_or(StockError::InvalidQuantity(q))?;
        Ok(())
    }

    /// Puts `q` sold units back on hand (a cancelled order).
    pub fn restock(&mut self, q: i64) -> Result<(), StockError> {
        Self::check_qty(q)?;
        self.on_hand = self.on_hand.checked_add(q).ok_or(StockError::InvalidQuantity(q))?;
        Ok(())
    }

    /// Whether available stock is at or below the low-stock threshold.
    pub fn is_low(&self) -> bool {
        self.low_stock_threshold.is_some_and(|t| self.available() <= t)
    }
}

/// Where a reservation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    /// Holding stock.
    Active,
    /// Converted into an order.
    Committed,
    /// Given back (cancelled, expired, replaced).
    Released,
}

/// One reserved line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    /// The SKU.
    pub sku: Sku,
    /// Units.
    pub quantity: i64,
}

/// Stock held for a checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// Id.
    pub id: ReservationId,
    /// The checkout it is for.
    pub checkout_id: CheckoutId,
    /// What is held.
    pub lines: Vec<StockLine>,
    /// When it lapses.
    pub expires_at: DateTime<Utc>,
    /// Status.
    pub status: ReservationStatus,
}

impl Reservation {
    /// Whether it still holds stock at `now`.
    pub fn is_active_at(&self, now: DateTime<Utc>) -> bool {
        self.status == ReservationStatus::Active && now < self.expires_at
    }
}

/// Merges lines of the same SKU and sorts by SKU: the canonical order in which backends lock
/// stock rows, so two orders touching the same SKUs never deadlock.
pub fn canonical_lines(lines: impl IntoIterator<Item = StockLine>) -> Vec<StockLine> {
    let mut map = std::collections::BTreeMap::<Sku, i64>::new();
    for l in lines {
        *map.entry(l.sku).or_insert(0) += l.quantity;
    }
    map.into_iter().map(|(sku, quantity)| StockLine { sku, quantity }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(on_hand: i64) -> StockLevel {
        StockLevel::new(Sku::parse("A").unwrap(), on_hand)
    }

    #[test]
    fn reserve_commit_release() {
        let mut s = level(10);
        s.reserve(4).unwrap();
        assert_eq!((s.on_hand, s.reserved, s.available()), (10, 4, 6));
        assert!(matches!(s.reserve(7), Err(StockError::OutOfStock { requested: 7, available: 6, .. })));
        s.commit_reserved(3).unwrap();
        assert_eq!((s.on_hand, s.reserved, s.available()), (7, 1, 6));
        s.release(1).unwrap();
        assert_eq!((s.on_hand, s.reserved, s.available()), (7, 0, 7));
        s.commit_unreserved(7).unwrap();
        assert!(matches!(s.commit_unreserved(1), Err(StockError::OutOfStock { .. })));
        s.restock(2).unwrap();
        assert_eq!(s.available(), 2);
        assert!(matches!(s.reserve(0), Err(StockError::InvalidQuantity(0))));
        assert!(matches!(s.reserve(-1), Err(StockError::InvalidQuantity(-1))));
    }

    #[test]
    fn backorder_goes_below_zero() {
        let mut s = level(1);
        s.backorder = true;
        s.reserve(3).unwrap();
        s.commit_reserved(3).unwrap();
        assert_eq!(s.available(), -2);
    }

    #[test]
    fn low_stock() {
        let mut s = level(5);
        s.low_stock_threshold = Some(2);
        assert!(!s.is_low());
        s.reserve(3).unwrap();
        assert!(s.is_low());
    }

    #[test]
    fn canonical_order_merges_and_sorts() {
        let l = |s: &str, q| StockLine { sku: Sku::parse(s).unwrap(), quantity: q };
        assert_eq!(canonical_lines([l("B", 1), l("A", 2), l("B", 3)]), vec![l("A", 2), l("B", 4)]);
    }
}
