//! Strict decoding into a typed value: well-formed `TT LL VALUE` fields, nothing dropped.

use commerce_core::money::{Currency, Money};

use super::AccountKind;
use super::crc::md5_hex;
use super::error::{KhqrError, Result};

/// One `TT LL VALUE` field, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// The two-digit tag.
    pub tag: String,
    /// The value.
    pub value: String,
}

/// Tag 29 (individual) or 30 (merchant).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AccountTemplate {
    /// Which tag it was.
    pub kind: AccountKind,
    /// Sub 00.
    pub bakong_account_id: Option<String>,
    /// Sub 01 of an individual account.
    pub account_information: Option<String>,
    /// Sub 01 of a merchant account.
    pub merchant_id: Option<String>,
    /// Sub 02.
    pub acquiring_bank: Option<String>,
    /// Sub-fields this crate does not know, in order.
    pub unknown: Vec<Field>,
}

/// Tag 62, additional data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AdditionalData {
    /// Sub 01.
    pub bill_number: Option<String>,
    /// Sub 02.
    pub mobile_number: Option<String>,
    /// Sub 03.
    pub store_label: Option<String>,
    /// Sub 07.
    pub terminal_label: Option<String>,
    /// Sub 08.
    pub purpose_of_transaction: Option<String>,
    /// Other sub-fields (EMV defines more), in order.
    pub unknown: Vec<Field>,
}

/// Tag 64, merchant information in an alternate language.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LanguageTemplate {
    /// Sub 00, e.g. `km`.
    pub preference: Option<String>,
    /// Sub 01.
    pub merchant_name: Option<String>,
    /// Sub 02.
    pub merchant_city: Option<String>,
    /// Other sub-fields, in order.
    pub unknown: Vec<Field>,
}

/// Tag 99, creation and expiration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Timestamps {
    /// Sub 00, epoch milliseconds as written.
    pub created_at: Option<String>,
    /// Sub 01, epoch milliseconds as written.
    pub expires_at: Option<String>,
    /// Other sub-fields, in order.
    pub unknown: Vec<Field>,
}

/// A KHQR taken apart. Values are kept as written; [`decode`] checks structure only, and
/// [`verify`](super::verify) checks the rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DecodedKhqr {
    /// Tag 00.
    pub payload_format_indicator: Option<String>,
    /// Tag 01: `11` static, `12` dynamic.
    pub point_of_initiation: Option<String>,
    /// Tag 15.
    pub upi_merchant_account: Option<String>,
    /// Tag 29 or 30.
    pub account: Option<AccountTemplate>,
    /// Tag 52.
    pub merchant_category_code: Option<String>,
    /// Tag 53, the ISO numeric code (`116`, `840`).
    pub currency: Option<String>,
    /// Tag 54.
    pub amount: Option<String>,
    /// Tag 58.
    pub country_code: Option<String>,
    /// Tag 59.
    pub merchant_name: Option<String>,
    /// Tag 60.
    pub merchant_city: Option<String>,
    /// Tag 62.
    pub additional_data: Option<AdditionalData>,
    /// Tag 64.
    pub language: Option<LanguageTemplate>,
    /// Tag 99.
    pub timestamps: Option<Timestamps>,
    /// Tag 63, as written.
    pub crc: Option<String>,
    /// Top-level tags outside the KHQR table, in order.
    pub unknown: Vec<Field>,
    /// The MD5 of the whole string: the Bakong Open API lookup key.
    pub md5: String,
}

impl DecodedKhqr {
    /// Individual or merchant.
    pub fn kind(&self) -> Option<AccountKind> {
        self.account.as_ref().map(|a| a.kind)
    }

    /// The Bakong account id (`name@bank`).
    pub fn bakong_account_id(&self) -> Option<&str> {
        self.account.as_ref().and_then(|a| a.bakong_account_id.as_deref())
    }

    /// Whether tag 01 says dynamic (`12`).
    pub fn is_dynamic(&self) -> bool {
        self.point_of_initiation.as_deref() == Some("12")
    }

    /// The currency of tag 53, when it is one KHQR carries.
    pub fn currency(&self) -> Option<Currency> {
        match self.currency.as_deref()? {
            "116" => Some(Currency::KHR),
            "840" => Some(Currency::USD),
            _ => None,
        }
    }

    /// The amount as money, when tag 54 is a plain decimal in a known currency.
    pub fn money(&self) -> Option<Money> {
        Money::parse(self.amount.as_deref()?, self.currency()?).ok()
    }

    /// The bill number (tag 62 sub 01): the order number for an engine-made code.
    pub fn bill_number(&self) -> Option<&str> {
        self.additional_data.as_ref().and_then(|a| a.bill_number.as_deref())
    }

    /// Creation time, epoch milliseconds.
    pub fn created_at_ms(&self) -> Option<i64> {
        self.timestamps.as_ref()?.created_at.as_deref()?.parse().ok()
    }

    /// Expiration time, epoch milliseconds.
    pub fn expires_at_ms(&self) -> Option<i64> {
        self.timestamps.as_ref()?.expires_at.as_deref()?.parse().ok()
    }
}

struct Raw {
    tag: String,
    value: String,
    offset: usize,
}

/// Splits `units` into fields. Tags and lengths are two ASCII digits; lengths count UTF-16 code
/// units; a value may not split a surrogate pair.
fn fields(units: &[u16], base: usize) -> Result<Vec<Raw>> {
    let mut out = Vec::new();
    let mut i = 0;
    let digit = |u: u16| u8::try_from(u).ok().filter(u8::is_ascii_digit).map(|b| usize::from(b - b'0'));
    while i < units.len() {
        let offset = base + i;
        let header =
            units.get(i..i + 4).ok_or(KhqrError::Malformed { offset, reason: "truncated field header" })?;
        let d: Option<Vec<usize>> = header.iter().map(|&u| digit(u)).collect();
        let Some(d) = d else {
            return Err(KhqrError::Malformed { offset, reason: "tag and length must be two digits each" });
        };
        let length = d[2] * 10 + d[3];
        let value = units
            .get(i + 4..i + 4 + length)
            .ok_or(KhqrError::Malformed { offset, reason: "value runs past the end" })?;
        let value = String::from_utf16(value)
            .map_err(|_| KhqrError::Malformed { offset, reason: "length splits a character" })?;
        out.push(Raw { tag: format!("{}{}", d[0], d[1]), value, offset });
        i += 4 + length;
    }
    Ok(out)
}

fn units_of(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

/// Sub-fields of a template, calling `known` for each; unknown ones are returned in order.
fn template(
    field: &Raw,
    mut known: impl FnMut(&str, String) -> Option<Option<String>>,
) -> Result<Vec<Field>> {
    let mut unknown = Vec::new();
    for sub in fields(&units_of(&field.value), field.offset + 4)? {
        match known(&sub.tag, sub.value.clone()) {
            // Recognized, and the slot was empty.
            Some(None) => {}
            Some(Some(_)) => {
                return Err(KhqrError::Malformed { offset: sub.offset, reason: "duplicate sub-field" });
            }
            None => unknown.push(Field { tag: sub.tag, value: sub.value }),
        }
    }
    Ok(unknown)
}

fn set(slot: &mut Option<String>, value: String) -> Option<Option<String>> {
    Some(slot.replace(value))
}

/// Parses a KHQR (or any EMV merchant-presented QR) into a [`DecodedKhqr`].
///
/// Checks structure only: two-digit tags and lengths, values that fit, no known tag twice, not
/// both 29 and 30, and the CRC (tag 63), when present, last. Unknown tags and sub-fields are kept.
/// Use [`verify`](super::verify) to check the KHQR rules, the CRC and the expiry.
///
/// ```
/// let qr = "00020101021129180014jonhsmith@nbcq5204599953031165802KH5910Jonh Smith6010Phnom Penh6304856B";
/// let decoded = commerce_bakong::khqr::decode(qr)?;
/// assert_eq!(decoded.bakong_account_id(), Some("jonhsmith@nbcq"));
/// assert_eq!(decoded.merchant_city.as_deref(), Some("Phnom Penh"));
/// assert!(!decoded.is_dynamic());
/// # Ok::<(), commerce_bakong::khqr::KhqrError>(())
/// ```
pub fn decode(qr: &str) -> Result<DecodedKhqr> {
    let mut out = DecodedKhqr { md5: md5_hex(qr), ..DecodedKhqr::default() };
    let top = fields(&units_of(qr), 0)?;
    let count = top.len();
    for (index, field) in top.into_iter().enumerate() {
        let duplicate = KhqrError::Malformed { offset: field.offset, reason: "duplicate tag" };
        let slot = match field.tag.as_str() {
            "00" => &mut out.payload_format_indicator,
            "01" => &mut out.point_of_initiation,
            "15" => &mut out.upi_merchant_account,
            "52" => &mut out.merchant_category_code,
            "53" => &mut out.currency,
            "54" => &mut out.amount,
            "58" => &mut out.country_code,
            "59" => &mut out.merchant_name,
            "60" => &mut out.merchant_city,
            "63" => {
                if index + 1 != count {
                    return Err(KhqrError::Malformed {
                        offset: field.offset,
                        reason: "CRC is not the last field",
                    });
                }
                &mut out.crc
            }
            "29" | "30" => {
                if out.account.is_some() {
                    return Err(duplicate);
                }
                let kind = if field.tag == "30" { AccountKind::Merchant } else { AccountKind::Individual };
                let mut a = AccountTemplate { kind, ..AccountTemplate::default() };
                a.unknown = template(&field, |tag, v| match tag {
                    "00" => set(&mut a.bakong_account_id, v),
                    "01" if kind == AccountKind::Merchant => set(&mut a.merchant_id, v),
                    "01" => set(&mut a.account_information, v),
                    "02" => set(&mut a.acquiring_bank, v),
                    _ => None,
                })?;
                out.account = Some(a);
                continue;
            }
            "62" => {
                if out.additional_data.is_some() {
                    return Err(duplicate);
                }
                let mut a = AdditionalData::default();
                a.unknown = template(&field, |tag, v| match tag {
                    "01" => set(&mut a.bill_number, v),
                    "02" => set(&mut a.mobile_number, v),
                    "03" => set(&mut a.store_label, v),
                    "07" => set(&mut a.terminal_label, v),
                    "08" => set(&mut a.purpose_of_transaction, v),
                    _ => None,
                })?;
                out.additional_data = Some(a);
                continue;
            }
            "64" => {
                if out.language.is_some() {
                    return Err(duplicate);
                }
                let mut l = LanguageTemplate::default();
                l.unknown = template(&field, |tag, v| match tag {
                    "00" => set(&mut l.preference, v),
                    "01" => set(&mut l.merchant_name, v),
                    "02" => set(&mut l.merchant_city, v),
                    _ => None,
                })?;
                out.language = Some(l);
                continue;
            }
            "99" => {
                if out.timestamps.is_some() {
                    return Err(duplicate);
                }
                let mut t = Timestamps::default();
                t.unknown = template(&field, |tag, v| match tag {
                    "00" => set(&mut t.created_at, v),
                    "01" => set(&mut t.expires_at, v),
                    _ => None,
                })?;
                out.timestamps = Some(t);
                continue;
            }
            _ => {
                out.unknown.push(Field { tag: field.tag, value: field.value });
                continue;
            }
        };
        if slot.replace(field.value).is_some() {
            return Err(duplicate);
        }
    }
    Ok(out)
}
