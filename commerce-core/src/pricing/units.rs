//! Integer minor units: the engine's internal arithmetic.
//!
//! Every amount the engine reads is validated to be exact in minor units and to fit an `i64`,
//! so the engine computes in integer minor units (cents for USD) with checked operations and
//! converts back to [`Money`] only for the output. Rates are exact fractions; rounding is an
//! integer division with the configured [`Rounding`]. This is both exact and fast.

use std::hash::{BuildHasherDefault, Hasher};

use rust_decimal::Decimal;

use super::error::PricingError;
use crate::money::{Currency, Money, MoneyError, Rounding};

/// An amount in minor units of the cart's currency.
pub(crate) type Units = i64;

pub(crate) fn overflow(operation: &'static str) -> PricingError {
    PricingError::Money(MoneyError::Overflow { operation })
}

/// Checked `a + b`.
pub(crate) fn add(a: Units, b: Units) -> Result<Units, PricingError> {
    a.checked_add(b).ok_or_else(|| overflow("add"))
}

/// Checked `a - b`.
pub(crate) fn sub(a: Units, b: Units) -> Result<Units, PricingError> {
    a.checked_sub(b).ok_or_else(|| overflow("subtract"))
}

/// `money` in minor units, or why it cannot be used: not exact, or too large.
pub(crate) fn units_of(money: Money) -> Result<Units, MoneyError> {
    money.to_minor_units()
}

/// Back to money: the same value as [`Money::from_minor_units`], built in place (the engine
/// makes dozens per cart).
#[inline]
pub(crate) fn money(units: Units, currency: Currency) -> Money {
    let abs = units.unsigned_abs();
    let amount = Decimal::from_parts(abs as u32, (abs >> 32) as u32, 0, units < 0, currency.minor_units());
    Money::new(amount, currency)
}

/// `n / d` rounded with `mode`, for `d > 0`.
fn div_round(n: i128, d: i128, mode: Rounding) -> i128 {
    // Fast path: both fit 64 bits (the usual case), where division is much cheaper.
    if let (Ok(n), Ok(d)) = (i64::try_from(n), i64::try_from(d)) {
        return i128::from(div_round_64(n, d, mode));
    }
    let (q, r) = (n / d, n % d);
    round_quotient(q, r, d, n < 0, mode)
}

/// `n / d` rounded with `mode`, for `d > 0`, in 64-bit arithmetic.
#[inline]
fn div_round_64(n: i64, d: i64, mode: Rounding) -> i64 {
    debug_assert!(d > 0);
    // `d > 0`, so only `i64::MIN / -1` could overflow, and it cannot happen here.
    let (q, r) = (n.wrapping_div(d), n.wrapping_rem(d));
    if r == 0 {
        return q;
    }
    // Cannot overflow: a non-zero remainder means `|q| < |n|`, so one unit more stays in range.
    let away = if n < 0 { q - 1 } else { q + 1 };
    // `|r| < d <= i64::MAX`, so twice it fits a `u64`.
    let (twice, d) = (r.unsigned_abs() * 2, d.unsigned_abs());
    let up = match mode {
        Rounding::TowardZero => false,
        Rounding::AwayFromZero => true,
        Rounding::HalfUp => twice >= d,
        Rounding::HalfEven => twice > d || (twice == d && q % 2 != 0),
    };
    if up { away } else { q }
}

/// Rounds the truncated quotient `q` (remainder `r`, same sign as the dividend) of a division
/// by `d > 0`.
fn round_quotient(q: i128, r: i128, d: i128, negative: bool, mode: Rounding) -> i128 {
    if r == 0 {
        return q;
    }
    let away = if negative { q - 1 } else { q + 1 };
    let twice = r.unsigned_abs() * 2;
    let d = d.unsigned_abs();
    match mode {
        Rounding::TowardZero => q,
        Rounding::AwayFromZero => away,
        Rounding::HalfUp => {
            if twice >= d {
                away
            } else {
                q
            }
        }
        Rounding::HalfEven => {
            if twice > d || (twice == d && q % 2 != 0) {
                away
            } else {
                q
            }
        }
    }
}

/// An exact non-negative fraction `num / den`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ratio {
    num: i128,
    den: i128,
    /// `(num, den)` when both fit 64 bits (every usual rate): the cheap path.
    small: Option<(i64, i64)>,
}

impl Ratio {
    pub(crate) const ZERO: Ratio = Ratio { num: 0, den: 1, small: Some((0, 1)) };

    fn new(num: i128, den: i128) -> Ratio {
        let g = gcd(num, den).max(1);
        let (num, den) = (num / g, den / g);
        let small = match (i64::try_from(num), i64::try_from(den)) {
            (Ok(n), Ok(d)) if d > 0 => Some((n, d)),
            _ => None,
        };
        Ratio { num, den, small }
    }

    /// `d` as a fraction `m / 10^s`, for `d >= 0`.
    fn decimal(d: Decimal) -> Option<(i128, i128)> {
        let d = d.normalize();
        if d.is_sign_negative() && !d.is_zero() {
            return None;
        }
        Some((d.mantissa(), 10i128.checked_pow(d.scale())?))
    }

    /// `percent / 100` (`10` is one tenth).
    pub(crate) fn percent(percent: Decimal) -> Option<Ratio> {
        let (m, p) = Self::decimal(percent)?;
        Some(Ratio::new(m, p.checked_mul(100)?))
    }

    /// `rate / (100 + rate)`: the tax included in a tax-inclusive amount.
    pub(crate) fn included(rate: Decimal) -> Option<Ratio> {
        let (m, p) = Self::decimal(rate)?;
        Some(Ratio::new(m, p.checked_mul(100)?.checked_add(m)?))
    }

    /// `amount x self`, rounded with `mode`.
    #[inline]
    pub(crate) fn of(&self, amount: Units, mode: Rounding) -> Result<Units, PricingError> {
        // Usual case: the rate (`29/400`) and the product fit 64 bits.
        if let Some((num, den)) = self.small
            && let Some(product) = amount.checked_mul(num)
        {
            return Ok(div_round_64(product, den, mode));
        }
        self.of_part(amount, 1, 1, mode)
    }

    /// `amount x k / n x self`, rounded once with `mode` (`n > 0`).
    pub(crate) fn of_part(
        &self,
        amount: Units,
        k: u64,
        n: u64,
        mode: Rounding,
    ) -> Result<Units, PricingError> {
        if self.num == 0 {
            return Ok(0);
        }
        let num = i128::from(amount)
            .checked_mul(i128::from(k))
            .and_then(|x| x.checked_mul(self.num))
            .ok_or_else(|| overflow("rate"))?;
        let den = self.den.checked_mul(i128::from(n)).ok_or_else(|| overflow("rate"))?;
        Units::try_from(div_round(num, den, mode)).map_err(|_| overflow("rate"))
    }
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Splits `total >= 0` over non-negative `weights` into `out` (one part per weight) by the rule
/// of [`Money::allocate`]: each part is the floor of its exact share, and the leftover units go
/// to the largest remainders, ties to the earlier index. Computed exactly in integers. All zero
/// weights give all zero parts (the caller never allocates a non-zero total over zero weights).
pub(crate) fn allocate(total: Units, weights: &[Units], out: &mut [Units]) -> Result<(), PricingError> {
    debug_assert_eq!(weights.len(), out.len());
    out.fill(0);
    let sum = weights
        .iter()
        .try_fold(0i128, |s, &w| s.checked_add(i128::from(w)))
        .ok_or_else(|| overflow("allocate"))?;
    if sum <= 0 || total == 0 {
        return Ok(());
    }
    let mut assigned: i128 = 0;
    // Usual case: every remainder (below `sum`) fits 47 bits and every index 16, so a remainder
    // and its index pack into one `u64` whose descending order is the rule's order (largest
    // remainder first, then earlier index). Otherwise (remainder, index) pairs, stably sorted.
    let packs = sum < 1 << 47 && weights.len() <= usize::from(u16::MAX);
    let mut packed: SmallBuf<u64, 16> = SmallBuf::new();
    let mut wide: Vec<(i128, usize)> = Vec::new();
    let sum64 = i64::try_from(sum).ok();
    for (i, (&w, part)) in weights.iter().zip(out.iter_mut()).enumerate() {
        // 64-bit arithmetic when it fits: much cheaper than 128-bit. Two 64-bit factors cannot
        // overflow 128 bits.
        let (q, r) = match (total.checked_mul(w), sum64) {
            (Some(p), Some(s)) => (i128::from(p / s), i128::from(p % s)),
            _ => {
                let p = i128::from(total) * i128::from(w);
                (p / sum, p % sum)
            }
        };
        *part = Units::try_from(q).map_err(|_| overflow("allocate"))?;
        assigned += q;
        if r > 0 {
            // When `packs`, both conversions succeed (`r < sum < 2^47`, `i < 2^16`), so every
            // remainder goes to the same list.
            match (packs, u64::try_from(r), u16::try_from(i)) {
                (true, Ok(r), Ok(i)) => packed.push(r << 16 | u64::from(u16::MAX - i)),
                _ => wide.push((r, i)),
            }
        }
    }
    let leftover = usize::try_from(i128::from(total) - assigned).map_err(|_| overflow("allocate"))?;
    if leftover > 0 {
        if packs {
            packed.sort_unstable_by(|a, b| b.cmp(a));
            for &key in packed.iter().take(leftover) {
                out[usize::from(u16::MAX - (key & 0xffff) as u16)] += 1;
            }
        } else {
            // Largest remainder first; the stable sort keeps index order among equals.
            wide.sort_by_key(|r| std::cmp::Reverse(r.0));
            for &(_, i) in wide.iter().take(leftover) {
                out[i] += 1;
            }
        }
    }
    Ok(())
}

/// A buffer of `Copy` values kept inline (on the stack) up to `N` of them and on the heap
/// beyond: the engine's per-call scratch. Most carts have a few lines and a few promotions, so
/// most calls allocate no scratch at all.
#[derive(Debug, Clone)]
pub(crate) struct SmallBuf<T: Copy + Default, const N: usize> {
    len: usize,
    inline: [T; N],
    /// Every element once `len > N`.
    heap: Vec<T>,
}

impl<T: Copy + Default, const N: usize> SmallBuf<T, N> {
    #[inline(always)]
    pub(crate) fn new() -> Self {
        SmallBuf { len: 0, inline: [T::default(); N], heap: Vec::new() }
    }

    /// `len` copies of `value`.
    #[inline(always)]
    pub(crate) fn filled(value: T, len: usize) -> Self {
        let mut buf = Self::new();
        if len <= N {
            buf.inline[..len].fill(value);
        } else {
            buf.heap = vec![value; len];
        }
        buf.len = len;
        buf
    }

    #[inline]
    pub(crate) fn push(&mut self, value: T) {
        if self.len < N {
            self.inline[self.len] = value;
        } else {
            if self.len == N {
                self.heap.reserve(2 * N);
                self.heap.extend_from_slice(&self.inline);
            }
            self.heap.push(value);
        }
        self.len += 1;
    }

    /// Keeps the first `len` elements (no-op when there are fewer).
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.len {
            if self.len > N {
                self.heap.truncate(len);
                if len <= N {
                    self.inline[..len].copy_from_slice(&self.heap);
                    self.heap.clear();
                }
            }
            self.len = len;
        }
    }

    pub(crate) fn clear(&mut self) {
        self.truncate(0);
    }
}

impl<T: Copy + Default, const N: usize> std::ops::Deref for SmallBuf<T, N> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        if self.len <= N { &self.inline[..self.len] } else { &self.heap }
    }
}

impl<T: Copy + Default, const N: usize> std::ops::DerefMut for SmallBuf<T, N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        if self.len <= N { &mut self.inline[..self.len] } else { &mut self.heap }
    }
}

/// A fast hasher for the SKU index (FxHash). The index's keys come from the shop's own data, so
/// a keyed hash buys nothing there.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
        }
        // The last 1 to 7 bytes in one word, read with fixed-size loads (no copy loop): 4 to 7
        // bytes as two overlapping 4-byte reads, 1 to 3 as the first, middle and last byte.
        let tail = chunks.remainder();
        let n = tail.len();
        let word = match (tail.first_chunk::<4>(), tail.last_chunk::<4>()) {
            (Some(lo), Some(hi)) => {
                u64::from(u32::from_le_bytes(*lo)) | u64::from(u32::from_le_bytes(*hi)) << 32
            }
            _ if n > 0 => u64::from(tail[0]) | u64::from(tail[n / 2]) << 8 | u64::from(tail[n - 1]) << 16,
            _ => return,
        };
        self.0 = (self.0.rotate_left(5) ^ word ^ n as u64).wrapping_mul(K);
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, i: usize) {
        self.write(&(i as u64).to_le_bytes());
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::*;

    #[test]
    fn rounding_modes() {
        // (n, d, mode, expected)
        let cases = [
            (5, 2, Rounding::HalfEven, 2),   // 2.5 -> 2
            (7, 2, Rounding::HalfEven, 4),   // 3.5 -> 4
            (-5, 2, Rounding::HalfEven, -2), // -2.5 -> -2
            (5, 2, Rounding::HalfUp, 3),
            (-5, 2, Rounding::HalfUp, -3),
            (29, 10, Rounding::TowardZero, 2),
            (21, 10, Rounding::AwayFromZero, 3),
            (-21, 10, Rounding::AwayFromZero, -3),
            (26, 10, Rounding::HalfEven, 3),
            (24, 10, Rounding::HalfUp, 2),
        ];
        for (n, d, mode, want) in cases {
            assert_eq!(div_round(n, d, mode), want, "{n}/{d} {mode:?}");
        }
    }

    #[test]
    fn ratios() {
        // 59.97 x 10% = 5.997 -> 6.00
        assert_eq!(Ratio::percent(dec!(10)).unwrap().of(5997, Rounding::HalfEven).unwrap(), 600);
        // 12.50 x 5% = 0.625 -> 0.62 half-even, 0.63 half-up
        assert_eq!(Ratio::percent(dec!(5)).unwrap().of(1250, Rounding::HalfEven).unwrap(), 62);
        assert_eq!(Ratio::percent(dec!(5)).unwrap().of(1250, Rounding::HalfUp).unwrap(), 63);
        // 59.97 x 10/110 = 5.4518 -> 5.45
        assert_eq!(Ratio::included(dec!(10)).unwrap().of(5997, Rounding::HalfEven).unwrap(), 545);
        // 7.25% reduces to 29/400
        assert_eq!(Ratio::percent(dec!(7.250)).unwrap(), Ratio::new(29, 400));
        assert_eq!(Ratio::new(29, 400).small, Some((29, 400)));
        assert!(Ratio::percent(dec!(-1)).is_none());
    }

    #[test]
    fn money_is_from_minor_units() {
        for units in [0, 1, -1, 999, -150, i64::MAX, i64::MIN, 1 << 32, -(1 << 40)] {
            for currency in [Currency::USD, Currency::JPY, Currency::KWD] {
                let m = money(units, currency);
                assert_eq!(m, Money::from_minor_units(units, currency));
                assert_eq!(
                    m.amount().serialize(),
                    Money::from_minor_units(units, currency).amount().serialize()
                );
            }
        }
    }

    #[test]
    fn small_buffers_spill_to_the_heap_and_back() {
        let mut b: SmallBuf<i64, 2> = SmallBuf::new();
        for i in 0..5 {
            b.push(i);
        }
        assert_eq!(&*b, &[0, 1, 2, 3, 4]);
        b[4] = 9;
        b.truncate(3);
        assert_eq!(&*b, &[0, 1, 2]);
        b.truncate(1);
        assert_eq!(&*b, &[0]);
        b.push(7);
        b.push(8);
        assert_eq!(&*b, &[0, 7, 8]);
        b.clear();
        assert!(b.is_empty());
        assert_eq!(&*SmallBuf::<u8, 2>::filled(3, 4), &[3, 3, 3, 3]);
        assert_eq!(&*SmallBuf::<u8, 2>::filled(3, 1), &[3]);
    }

    fn any_rounding() -> impl Strategy<Value = Rounding> {
        prop_oneof![
            Just(Rounding::HalfEven),
            Just(Rounding::HalfUp),
            Just(Rounding::TowardZero),
            Just(Rounding::AwayFromZero)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// The integer allocation is `Money::allocate`'s rule.
        #[test]
        fn allocation_matches_money_allocate(total in 0i64..10_000_000, weights in proptest::collection::vec(0i64..1_000_000, 1..30)) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let mut out = vec![0; weights.len()];
            allocate(total, &weights, &mut out).unwrap();
            let ws: Vec<Decimal> = weights.iter().map(|&w| Decimal::from(w)).collect();
            prop_assert_eq!(out, crate::money::allocate_minor(total, &ws).unwrap());
        }

        /// The same with weights large enough that remainders do not pack into 47 bits.
        #[test]
        fn allocation_of_large_weights_matches_money_allocate(total in 0i64..1_000_000_000_000, weights in proptest::collection::vec(0i64..(1 << 52), 1..30)) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let mut out = vec![0; weights.len()];
            allocate(total, &weights, &mut out).unwrap();
            let ws: Vec<Decimal> = weights.iter().map(|&w| Decimal::from(w)).collect();
            prop_assert_eq!(out, crate::money::allocate_minor(total, &ws).unwrap());
        }

        /// Integer rate application equals exact decimal arithmetic rounded once.
        #[test]
        fn ratio_matches_decimal(amount in 0i64..1_000_000_000_000, pct in 0i64..=100_000, scale in 0u32..=3, mode in any_rounding()) {
            let percent = Decimal::new(pct, scale);
            let got = Ratio::percent(percent).unwrap().of(amount, mode).unwrap();
            let exact = Decimal::from(amount) * percent / Decimal::ONE_HUNDRED;
            prop_assert_eq!(Decimal::from(got), mode.round(exact, 0));
        }
    }
}
