//! The stock statements every write path shares.
//!
//! A set of per-SKU changes (reserve, release, sell, restock) is applied by **one** conditional
//! `UPDATE ... WHERE sku IN (...)`: InnoDB walks the primary key in ascending `ascii_bin` order,
//! which is the canonical SKU order (`commerce_core::inventory::canonical_lines`), so two
//! transactions touching the same SKUs lock them in the same order. Availability is checked in
//! the `WHERE` clause on the row as it is when locked; rows matched (the driver sets
//! `CLIENT_FOUND_ROWS`) tells whether every SKU took its change. If one did not, the
//! transaction is rolled back and run again one statement per SKU ([`Batch::PerSku`]), which
//! names the first SKU that is short, exactly as the reference backend does.

use std::collections::{BTreeMap, BTreeSet};

use commerce_core::ids::Sku;
use commerce_core::inventory::StockLine;
use commerce_core::ports::storage::StoreError;
use sqlx::{AssertSqlSafe, MySqlConnection};

use crate::codec::{parse_id, placeholders};
use crate::error::{Fail, TxResult};
use crate::tx::Batch;

/// A change to one SKU's stock row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StockChange {
    /// The SKU.
    pub sku: Sku,
    /// Added to `on_hand`.
    pub on_hand: i64,
    /// Added to `reserved` (the result is clamped at zero).
    pub reserved: i64,
    /// The availability check, if any: `(requested, credit)` holds when
    /// `backorder OR on_hand - reserved + credit >= requested` before the change.
    pub check: Option<(i64, i64)>,
    /// A missing row is `UnknownSku`; otherwise it is skipped (releasing a reservation whose
    /// SKU lost its stock record).
    pub must_exist: bool,
}

impl StockChange {
    fn need(&self) -> i64 {
        self.check.map_or(i64::MIN, |(requested, credit)| requested.saturating_sub(credit))
    }
}

/// Per SKU, in canonical order: units in `a` and in `b`.
fn pair(a: &[StockLine], b: &[StockLine]) -> BTreeMap<Sku, (i64, i64)> {
    let mut map = BTreeMap::<Sku, (i64, i64)>::new();
    for l in a {
        map.entry(l.sku.clone()).or_default().0 += l.quantity;
    }
    for l in b {
        map.entry(l.sku.clone()).or_default().1 += l.quantity;
    }
    map
}

/// A reservation of `new` that first releases `old` (the checkout's previous reservations; a
/// re-lock never holds stock twice). Each SKU of `new` must exist and have `new` units available
/// once `old` is given back; SKUs only in `old` are released without a check.
pub(crate) fn relock(old: &[StockLine], new: &[StockLine]) -> Vec<StockChange> {
    pair(old, new)
        .into_iter()
        .map(|(sku, (old, new))| StockChange {
            sku,
            on_hand: 0,
            reserved: new - old,
            check: (new > 0).then_some((new, old)),
            must_exist: new > 0,
        })
        .collect()
}

/// Gives back reserved units (missing stock records are skipped).
pub(crate) fn release(lines: &[StockLine]) -> Vec<StockChange> {
    relock(lines, &[])
}

/// A sale of `lines`. `Reserved`: the units were reserved and convert (`on_hand -= q`,
/// `reserved -= q`). Otherwise availability is checked again and the units come from `on_hand`;
/// `Lapsed(old)`: an expired reservation still holds `old`, which is given back after the check.
pub(crate) fn sale(lines: &[StockLine], how: Sale<'_>) -> Vec<StockChange> {
    let old = match how {
        Sale::Lapsed(old) => old,
        Sale::Reserved | Sale::Unreserved => &[],
    };
    pair(old, lines)
        .into_iter()
        .map(|(sku, (old, q))| match how {
            Sale::Reserved => StockChange { sku, on_hand: -q, reserved: -q, check: None, must_exist: true },
            Sale::Unreserved | Sale::Lapsed(_) => StockChange {
                sku,
                on_hand: -q,
                reserved: -old,
                check: (q > 0).then_some((q, 0)),
                must_exist: q > 0,
            },
        })
        .collect()
}

/// How a sale takes its units (see [`sale`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sale<'a> {
    /// From an active, unexpired reservation.
    Reserved,
    /// Directly (no reservation holds them).
    Unreserved,
    /// Directly, releasing an expired reservation that still holds these lines.
    Lapsed(&'a [StockLine]),
}

/// Puts sold units back on hand (a cancelled order); every SKU must exist.
pub(crate) fn restock(lines: &[StockLine]) -> Vec<StockChange> {
    pair(&[], lines)
        .into_iter()
        .map(|(sku, (_, q))| StockChange { sku, on_hand: q, reserved: 0, check: None, must_exist: true })
        .collect()
}

/// Refuses quantities that are not positive (the domain's `InvalidQuantity`).
pub(crate) fn check_lines(lines: &[StockLine]) -> Result<(), StoreError> {
    match lines.iter().find(|l| l.quantity <= 0) {
        Some(l) => Err(StoreError::Data(format!("invalid stock quantity {} for {}", l.quantity, l.sku))),
        None => Ok(()),
    }
}

/// An argument of a stock statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg<'a> {
    Sku(&'a str),
    Int(i64),
}

/// The conditional `UPDATE` applying `changes` (canonical order, one per SKU), with `?` for each
/// argument, and the arguments in order.
fn statement(changes: &[StockChange]) -> (String, Vec<Arg<'_>>) {
    let any_on_hand = changes.iter().any(|c| c.on_hand != 0);
    let any_reserved = changes.iter().any(|c| c.reserved != 0);
    let any_check = changes.iter().any(|c| c.check.is_some());
    let single = changes.len() == 1;
    let value = || {
        if single {
            return "?".to_owned();
        }
        let mut s = String::from("CASE sku");
        for _ in changes {
            s.push_str(" WHEN ? THEN ?");
        }
        s.push_str(" END");
        s
    };
    let mut sets = Vec::new();
    if any_on_hand {
        sets.push(format!("on_hand = on_hand + {}", value()));
    }
    if any_reserved {
        sets.push(format!("reserved = GREATEST(reserved + {}, 0)", value()));
    }
    if sets.is_empty() {
        // Nothing changes; still lock and count the rows.
        sets.push("reserved = reserved".to_owned());
    }
    let mut sql = format!("UPDATE stock SET {} WHERE sku", sets.join(", "));
    if single {
        sql.push_str(" = ?");
    } else {
        sql.push_str(&format!(" IN ({})", placeholders(changes.len())));
    }
    if any_check {
        sql.push_str(&format!(" AND (backorder OR on_hand - reserved >= {})", value()));
    }
    fn case<'a>(
        args: &mut Vec<Arg<'a>>,
        changes: &'a [StockChange],
        single: bool,
        f: fn(&StockChange) -> i64,
    ) {
        for c in changes {
            if !single {
                args.push(Arg::Sku(c.sku.as_str()));
            }
            args.push(Arg::Int(f(c)));
        }
    }
    let mut args = Vec::new();
    if any_on_hand {
        case(&mut args, changes, single, |c| c.on_hand);
    }
    if any_reserved {
        case(&mut args, changes, single, |c| c.reserved);
    }
    args.extend(changes.iter().map(|c| Arg::Sku(c.sku.as_str())));
    if any_check {
        case(&mut args, changes, single, StockChange::need);
    }
    (sql, args)
}

/// Applies `changes` (canonical order, one per SKU) in one statement; returns rows matched.
async fn apply_batch(conn: &mut MySqlConnection, changes: &[StockChange]) -> TxResult<u64> {
    let (sql, args) = statement(changes);
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for a in args {
        q = match a {
            Arg::Sku(s) => q.bind(s),
            Arg::Int(n) => q.bind(n),
        };
    }
    Ok(q.execute(&mut *conn).await?.rows_affected())
}

/// The error for a change that matched no row: the SKU is unknown, or short.
async fn shortage(conn: &mut MySqlConnection, c: &StockChange) -> Fail {
    let available: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT on_hand - reserved FROM stock WHERE sku = ?")
            .bind(c.sku.as_str())
            .fetch_optional(&mut *conn)
            .await;
    match available {
        Ok(Some(available)) => {
            let (requested, credit) = c.check.unwrap_or((0, 0));
            Fail::Store(StoreError::OutOfStock {
                sku: c.sku.clone(),
                requested,
                available: available.saturating_add(credit),
            })
        }
        Ok(None) => Fail::Store(StoreError::UnknownSku(c.sku.clone())),
        Err(e) => e.into(),
    }
}

/// Applies `changes` (one per SKU, canonical order), all or nothing for the caller's transaction.
///
/// [`Batch::Fast`]: one statement; a shortfall is [`Fail::Precise`] (the caller's transaction is
/// rolled back and run again per SKU) unless there is a single SKU, whose error is known.
/// [`Batch::PerSku`]: one statement per SKU in canonical order; the first SKU short fails with
/// `OutOfStock` or `UnknownSku`.
pub(crate) async fn apply(conn: &mut MySqlConnection, changes: &[StockChange], batch: Batch) -> TxResult<()> {
    match (changes, batch) {
        ([], _) => Ok(()),
        ([c], _) => {
            if apply_batch(conn, changes).await? == 0 && c.must_exist {
                return Err(shortage(conn, c).await);
            }
            Ok(())
        }
        (_, Batch::Fast) => {
            if apply_batch(conn, changes).await? == changes.len() as u64 {
                Ok(())
            } else {
                Err(Fail::Precise)
            }
        }
        (_, Batch::PerSku) => {
            for c in changes {
                if apply_batch(conn, std::slice::from_ref(c)).await? == 0 && c.must_exist {
                    return Err(shortage(conn, c).await);
                }
            }
            Ok(())
        }
    }
}

/// `(sku, available, threshold)` of the SKUs in `skus` now at or below their low-stock
/// threshold, as this transaction sees them.
pub(crate) async fn low_levels(conn: &mut MySqlConnection, skus: &[&Sku]) -> TxResult<Vec<(Sku, i64, i64)>> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let distinct: BTreeSet<&str> = skus.iter().map(|s| s.as_str()).collect();
    let sql = format!(
        "SELECT sku, on_hand - reserved, low_threshold FROM stock WHERE sku IN ({}) \
         AND low_threshold IS NOT NULL AND on_hand - reserved <= low_threshold",
        placeholders(distinct.len())
    );
    let mut q = sqlx::query_as::<_, (String, i64, i64)>(AssertSqlSafe(sql));
    for s in &distinct {
        q = q.bind(*s);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|(sku, available, threshold)| Ok((parse_id(&sku)?, available, threshold)))
        .collect::<Result<_, StoreError>>()
        .map_err(Fail::Store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(s: &str) -> Sku {
        Sku::parse(s).unwrap()
    }

    fn lines(l: &[(&str, i64)]) -> Vec<StockLine> {
        l.iter().map(|(s, q)| StockLine { sku: sku(s), quantity: *q }).collect()
    }

    /// (sku, on_hand delta, reserved delta, check, must exist)
    type Row = (&'static str, i64, i64, Option<(i64, i64)>, bool);

    fn check(changes: Vec<StockChange>, expected: &[Row]) {
        let got: Vec<Row> = changes
            .iter()
            .map(|c| {
                let s: &'static str = Box::leak(c.sku.to_string().into_boxed_str());
                (s, c.on_hand, c.reserved, c.check, c.must_exist)
            })
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn changes_per_operation() {
        // first lock: canonical order, merged duplicates, checked
        check(
            relock(&[], &lines(&[("B", 2), ("A", 1), ("B", 1)])),
            &[("A", 0, 1, Some((1, 0)), true), ("B", 0, 3, Some((3, 0)), true)],
        );
        // re-lock: A 3 -> 5 needs 5 with the 3 given back; C only released, unchecked
        check(
            relock(&lines(&[("A", 3), ("C", 2)]), &lines(&[("A", 5)])),
            &[("A", 0, 2, Some((5, 3)), true), ("C", 0, -2, None, false)],
        );
        check(release(&lines(&[("A", 2)])), &[("A", 0, -2, None, false)]);
        check(sale(&lines(&[("A", 2)]), Sale::Reserved), &[("A", -2, -2, None, true)]);
        check(sale(&lines(&[("A", 2)]), Sale::Unreserved), &[("A", -2, 0, Some((2, 0)), true)]);
        // lapsed: checked before the release (as the reference backend), extra SKUs released
        check(
            sale(&lines(&[("A", 2)]), Sale::Lapsed(&lines(&[("A", 2), ("B", 1)]))),
            &[("A", -2, -2, Some((2, 0)), true), ("B", 0, -1, None, false)],
        );
        check(
            restock(&lines(&[("b", 1), ("B", 2), ("9", 3)])),
            &[("9", 3, 0, None, true), ("B", 2, 0, None, true), ("b", 1, 0, None, true)],
        );
    }

    /// (changes, statement, arguments)
    #[test]
    fn one_statement_per_change_set() {
        let check = |changes: Vec<StockChange>, sql: &str, args: &[Arg<'_>]| {
            let (got_sql, got_args) = statement(&changes);
            assert_eq!((got_sql.as_str(), got_args.as_slice()), (sql, args));
        };
        check(
            relock(&[], &lines(&[("A-1", 2)])),
            "UPDATE stock SET reserved = GREATEST(reserved + ?, 0) WHERE sku = ? AND (backorder OR on_hand - reserved >= ?)",
            &[Arg::Int(2), Arg::Sku("A-1"), Arg::Int(2)],
        );
        check(
            relock(&[], &lines(&[("B", 1), ("a", 3)])),
            "UPDATE stock SET reserved = GREATEST(reserved + CASE sku WHEN ? THEN ? WHEN ? THEN ? END, 0) \
             WHERE sku IN (?, ?) AND (backorder OR on_hand - reserved >= CASE sku WHEN ? THEN ? WHEN ? THEN ? END)",
            &[
                Arg::Sku("B"),
                Arg::Int(1),
                Arg::Sku("a"),
                Arg::Int(3),
                Arg::Sku("B"),
                Arg::Sku("a"),
                Arg::Sku("B"),
                Arg::Int(1),
                Arg::Sku("a"),
                Arg::Int(3),
            ],
        );
        check(
            sale(&lines(&[("A", 2)]), Sale::Reserved),
            "UPDATE stock SET on_hand = on_hand + ?, reserved = GREATEST(reserved + ?, 0) WHERE sku = ?",
            &[Arg::Int(-2), Arg::Int(-2), Arg::Sku("A")],
        );
    }

    #[test]
    fn need_folds_the_credit() {
        let c = relock(&lines(&[("A", 3)]), &lines(&[("A", 5)])).remove(0);
        assert_eq!(c.need(), 2);
        assert_eq!(release(&lines(&[("A", 1)])).remove(0).need(), i64::MIN, "no check");
        assert!(check_lines(&lines(&[("A", 0)])).is_err());
        assert!(check_lines(&lines(&[("A", 1)])).is_ok());
    }
}
