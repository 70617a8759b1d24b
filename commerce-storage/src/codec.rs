//! Column encodings shared by the SQL backends (SQLite here, MySQL in `commerce-mysql`): how
//! domain values become column text and numbers, and how they are read back with typed errors.
//!
//! - Timestamps: UTC text `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, always 30 characters, so text order
//!   is time order and nanoseconds round-trip. Years outside 0000..=9999 are refused.
//! - UUID ids and codes: text, read back through the type's own parser.
//! - Versions and counts: signed 64-bit integers (`u64` <= `i64::MAX`).
//! - JSON: `serde_json` text for nested parts that are never queried.
//!
//! Every decoding failure is a [`StoreError::Data`] naming what was wrong.

use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};
use commerce_core::ids::InvalidId;
use commerce_core::money::Currency;
use commerce_core::ports::storage::{StoreError, StoreResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

const TS_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.9fZ";

/// A [`StoreError::Data`] saying `what` and the detail.
pub fn data(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Data(format!("{what}: {detail}"))
}

/// A timestamp as sortable text.
pub fn ts(t: DateTime<Utc>) -> StoreResult<String> {
    if !(0..=9999).contains(&t.year()) {
        return Err(data("timestamp outside years 0000-9999", t));
    }
    Ok(t.format(TS_FORMAT).to_string())
}

/// An optional timestamp.
pub fn ts_opt(t: Option<DateTime<Utc>>) -> StoreResult<Option<String>> {
    t.map(ts).transpose()
}

/// Reads a timestamp column.
pub fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, TS_FORMAT)
        .map(|n| n.and_utc())
        .map_err(|e| data(&format!("bad timestamp {s:?}"), e))
}

/// Reads an optional timestamp column.
pub fn parse_ts_opt(s: Option<&str>) -> StoreResult<Option<DateTime<Utc>>> {
    s.map(parse_ts).transpose()
}

/// Reads an id or code column through the type's parser.
pub fn parse_id<T: FromStr<Err = InvalidId>>(s: &str) -> StoreResult<T> {
    s.parse().map_err(|e: InvalidId| data("bad id", e))
}

/// Reads an optional id column.
pub fn parse_id_opt<T: FromStr<Err = InvalidId>>(s: Option<&str>) -> StoreResult<Option<T>> {
    s.map(parse_id).transpose()
}

/// Reads a currency column.
pub fn parse_currency(code: &str) -> StoreResult<Currency> {
    Currency::from_code(code).map_err(|e| data("bad currency", e))
}

/// A version as a signed 64-bit column.
pub fn version(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|_| data("version too large", v))
}

/// Reads a version column.
pub fn parse_version(v: i64) -> StoreResult<u64> {
    u64::try_from(v).map_err(|_| data("negative version", v))
}

/// A count or page bound as a signed 64-bit column (clamped).
pub fn bound(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Reads a non-negative integer column as `u32`.
pub fn parse_u32(n: i64, what: &str) -> StoreResult<u32> {
    u32::try_from(n).map_err(|_| data(what, n))
}

/// A value as JSON text.
pub fn to_json<T: Serialize + ?Sized>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| data("cannot encode JSON", e))
}

/// Reads a JSON column.
pub fn from_json<T: DeserializeOwned>(s: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| data(&format!("bad JSON in {what}"), e))
}

/// Reads a snake_case enum column.
pub fn parse_enum<T: DeserializeOwned>(s: &str, what: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| data(&format!("bad {what} {s:?}"), e))
}
