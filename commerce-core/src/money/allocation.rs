//! Splitting an integer number of minor units over weights without losing a unit.

use rust_decimal::Decimal;

use super::MoneyError;

/// Splits `total` minor units over `weights` (largest-remainder method).
///
/// - Parts sum exactly to `total`.
/// - Each part is `floor` or `ceil` of its exact share `total * w / sum(w)` (for a negative total,
///   the parts are the negation of the split of `-total`).
/// - Leftover units go to the parts with the largest fractional remainder; equal remainders go
///   to the earlier index. The result depends only on the inputs.
///
/// Errors: no weights, a negative weight, or weights summing to zero.
///
/// ```
/// use commerce_core::money::allocate_minor;
/// use rust_decimal_macros::dec;
/// // 100 cents over three equal weights: 34 + 33 + 33.
/// assert_eq!(allocate_minor(100, &[dec!(1), dec!(1), dec!(1)]).unwrap(), vec![34, 33, 33]);
/// ```
pub fn allocate_minor(total: i64, weights: &[Decimal]) -> Result<Vec<i64>, MoneyError> {
    if weights.is_empty() {
        return Err(MoneyError::InvalidWeights("no weights"));
    }
    if weights.iter().any(|w| w.is_sign_negative() && !w.is_zero()) {
        return Err(MoneyError::InvalidWeights("a weight is negative"));
    }
    let sum = weights
        .iter()
        .try_fold(Decimal::ZERO, |acc, w| acc.checked_add(*w))
        .ok_or(MoneyError::Overflow { operation: "allocation weights" })?;
    if sum.is_zero() {
        return Err(MoneyError::InvalidWeights("weights sum to zero"));
    }
    if total < 0 {
        let positive = total.checked_neg().ok_or(MoneyError::Overflow { operation: "allocation" })?;
        return Ok(allocate_minor(positive, weights)?.into_iter().map(|p| -p).collect());
    }
    let total_d = Decimal::from(total);
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut assigned: i64 = 0;
    for (i, w) in weights.iter().enumerate() {
        // exact share = total * w / sum; compute as (total * w) / sum, falling back to
        // total * (w / sum) when the product overflows.
        let share = total_d
            .checked_mul(*w)
            .and_then(|p| p.checked_div(sum))
            .or_else(|| w.checked_div(sum).and_then(|r| r.checked_mul(total_d)))
            .ok_or(MoneyError::Overflow { operation: "allocation" })?;
        let floor = share.floor();
        let unit = i64::try_from(floor).map_err(|_| MoneyError::Overflow { operation: "allocation" })?;
        parts.push(unit);
        remainders.push((share - floor, i));
        assigned += unit;
    }
    let mut leftover = total - assigned;
    // Largest remainder first; ties by index (stable sort keeps index order).
    remainders.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut k = 0;
    while leftover > 0 && !remainders.is_empty() {
        let (_, idx) = remainders[k % remainders.len()];
        parts[idx] += 1;
        leftover -= 1;
        k += 1;
    }
    Ok(parts)
}
