//! The SDK's parser: `cutString` over UTF-16 code units, lengths read with `parseInt`, stopping at
//! the first repeated tag. Lenient where the EMV format is strict; reproduced for the verdicts.

use std::collections::BTreeMap;

use super::jsnum::parse_int;
use crate::khqr::error::{KhqrError, Result};

/// The tags the SDK knows (`KHQRTag`), in its table order.
pub(crate) const KNOWN: [&str; 14] =
    ["00", "01", "15", "29", "52", "53", "54", "58", "59", "60", "62", "64", "99", "63"];

/// One `cutString` step.
struct Cut<'a> {
    tag: &'a [u16],
    value: &'a [u16],
    rest: &'a [u16],
}

/// `String.prototype.slice` index resolution.
fn index(i: i128, len: usize) -> usize {
    let len_i = len as i128;
    let resolved = if i < 0 { (len_i + i).max(0) } else { i.min(len_i) };
    resolved as usize
}

fn slice(s: &[u16], start: i128, end: i128) -> &[u16] {
    let (from, to) = (index(start, s.len()), index(end, s.len()));
    if to <= from { &[] } else { &s[from..to] }
}

fn cut(s: &[u16]) -> Cut<'_> {
    let tag = slice(s, 0, 2);
    let length = parse_int(&String::from_utf16_lossy(slice(s, 2, 4)));
    // `4 + NaN` is NaN, which `slice` reads as 0.
    let end = length.map_or(0, |l| l.saturating_add(4));
    Cut { tag, value: slice(s, 4, end), rest: slice(s, end, s.len() as i128) }
}

fn text(units: &[u16]) -> String {
    String::from_utf16_lossy(units)
}

/// One top-level field as the SDK's loop sees it.
pub(crate) struct Entry {
    /// The tag as written (`30` stays `30`).
    pub written: String,
    /// The tag after the SDK's renaming of `30` to `29`.
    pub tag: String,
    /// The value (lossy: a lone surrogate becomes U+FFFD, which keeps the length).
    pub value: String,
    /// The raw value, for sub-field parsing.
    pub units: Vec<u16>,
}

/// The SDK's top-level loop: every field up to the first one whose tag repeats the previous
/// (renamed) tag.
///
/// A step that consumes nothing repeats its tag and ends the loop, except for tag 30: the SDK
/// compares the next tag (`30`) with the renamed one (`29`) and loops forever. That is
/// [`KhqrError::Unparsable`].
pub(crate) fn scan(units: &[u16]) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut rest = units;
    let mut last: Option<String> = None;
    while !rest.is_empty() {
        let c = cut(rest);
        let written = text(c.tag);
        if last.as_deref() == Some(written.as_str()) {
            break;
        }
        if written == "30" && c.rest.len() == rest.len() {
            return Err(KhqrError::Unparsable { tag: written });
        }
        let tag = if written == "30" { "29".to_owned() } else { written.clone() };
        entries.push(Entry { written, tag: tag.clone(), value: text(c.value), units: c.value.to_vec() });
        rest = c.rest;
        last = Some(tag);
    }
    Ok(entries)
}

/// The names the SDK gives sub-fields (`KHQRSubtag.compare`).
fn sub_name(tag: &str, sub: &str) -> Option<&'static str> {
    Some(match (tag, sub) {
        ("29", "00") => "bakongAccountID",
        ("29", "01") => "accountInformation",
        ("29", "02") => "acquiringBank",
        ("62", "01") => "billNumber",
        ("62", "02") => "mobileNumber",
        ("62", "03") => "storeLabel",
        ("62", "07") => "terminalLabel",
        ("62", "08") => "purposeOfTransaction",
        ("64", "00") => "languagePreference",
        ("64", "01") => "merchantNameAlternateLanguage",
        ("64", "02") => "merchantCityAlternateLanguage",
        ("99", "00") => "creationTimestamp",
        ("99", "01") => "expirationTimestamp",
        _ => return None,
    })
}

/// A template's value after the SDK's sub-field loop: an object of the named sub-fields when at
/// least one was found, else the raw string.
pub(crate) enum Template {
    /// No known sub-field: the SDK keeps the string.
    Raw,
    /// Named sub-fields found (later ones win); absent names are `null`.
    Object(BTreeMap<&'static str, String>),
}

impl Template {
    /// A named sub-field of an object (`None`: absent or `null`, or a raw template).
    pub fn get(&self, name: &str) -> Option<&str> {
        match self {
            Template::Object(map) => map.get(name).map(String::as_str),
            Template::Raw => None,
        }
    }
}

/// The SDK's sub-field loop over a template value. Where the SDK would loop forever (a step that
/// consumes nothing), [`KhqrError::Unparsable`].
pub(crate) fn template(written_tag: &str, tag: &str, units: &[u16]) -> Result<Template> {
    let mut found: Option<BTreeMap<&'static str, String>> = None;
    let mut rest = units;
    while !rest.is_empty() {
        let c = cut(rest);
        if c.rest.len() == rest.len() {
            return Err(KhqrError::Unparsable { tag: written_tag.to_owned() });
        }
        if let Some(name) = sub_name(tag, &text(c.tag)) {
            found.get_or_insert_with(BTreeMap::new).insert(name, text(c.value));
        }
        rest = c.rest;
    }
    Ok(match found {
        Some(map) => Template::Object(map),
        None => Template::Raw,
    })
}
