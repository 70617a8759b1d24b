//! Just enough of JavaScript's number and string semantics to reproduce the SDK exactly.
//!
//! The SDK receives loose values (a string or a number where an amount goes) and runs them
//! through `String(x)`, `x == 0`, `x % 1`, `parseFloat`, `parseInt` and `toFixed(2)`. This module
//! models a JS number as an exact decimal instead of a binary double: exact for every value with at
//! most 15 significant digits (a double round-trips those), and [`JsNumber::is_inexact`] beyond, where
//! callers refuse the value rather than guess. No floating point is involved.

use std::cmp::Ordering;

/// Significant digits a double always round-trips.
const EXACT_DIGITS: usize = 15;

/// A JavaScript number, held exactly (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsNumber(Repr);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Repr {
    NaN,
    Infinity {
        negative: bool,
    },
    /// `digits × 10^exp`; `digits` has no leading or trailing zeros and is empty for zero.
    /// `exact` is false beyond 15 significant digits or in the subnormal range, where a double
    /// would round the value.
    Finite {
        negative: bool,
        digits: Vec<u8>,
        exp: i64,
        exact: bool,
    },
}

impl JsNumber {
    /// `NaN`.
    pub const NAN: JsNumber = JsNumber(Repr::NaN);

    /// An integer.
    pub fn from_i64(value: i64) -> JsNumber {
        let negative = value < 0;
        let text = value.unsigned_abs().to_string();
        JsNumber::from_parts(negative, text.as_bytes(), 0)
    }

    /// Parses a decimal literal (`-12.5e3`, `.5`, `7.`) exactly as `Number(text)` would, without
    /// trimming whitespace. `None` when `text` is not a decimal literal.
    pub fn from_decimal_literal(text: &str) -> Option<JsNumber> {
        let (number, used) = decimal_prefix(text.as_bytes())?;
        (used == text.len()).then_some(number)
    }

    fn zero() -> JsNumber {
        JsNumber(Repr::Finite { negative: false, digits: Vec::new(), exp: 0, exact: true })
    }

    fn from_parts(negative: bool, raw_digits: &[u8], exp: i64) -> JsNumber {
        let Some(start) = raw_digits.iter().position(|&d| d != b'0') else {
            return JsNumber::zero();
        };
        let end = raw_digits.iter().rposition(|&d| d != b'0').map_or(start, |e| e + 1);
        let digits = raw_digits[start..end].to_vec();
        let exp = exp.saturating_add((raw_digits.len() - end) as i64);
        // Decimal exponent of the leading digit plus one: value = 0.d1d2... × 10^point.
        let point = exp.saturating_add(digits.len() as i64);
        if point > 309 || (point == 309 && digits.as_slice() > b"179769313486231".as_slice()) {
            return JsNumber(Repr::Infinity { negative });
        }
        if point <= -324 {
            return JsNumber::zero();
        }
        let exact = digits.len() <= EXACT_DIGITS && point >= -307;
        JsNumber(Repr::Finite { negative, digits, exp, exact })
    }

    /// Whether this is `NaN`.
    pub fn is_nan(&self) -> bool {
        matches!(self.0, Repr::NaN)
    }

    /// Whether the value has more precision than a double keeps (see the module docs).
    pub fn is_inexact(&self) -> bool {
        matches!(self.0, Repr::Finite { exact: false, .. })
    }

    /// `x == 0`.
    pub fn is_zero(&self) -> bool {
        matches!(&self.0, Repr::Finite { digits, .. } if digits.is_empty())
    }

    /// JavaScript truthiness (`!!x`): not zero and not `NaN`.
    pub fn is_truthy(&self) -> bool {
        !self.is_zero() && !self.is_nan()
    }

    /// `x % 1 == 0`: finite and whole. `None` when a double might round a fraction away.
    pub fn is_integral(&self) -> Option<bool> {
        match &self.0 {
            Repr::Finite { exp, .. } if *exp >= 0 => Some(true),
            Repr::Finite { exact: true, .. } | Repr::NaN | Repr::Infinity { .. } => Some(false),
            Repr::Finite { exact: false, .. } => None,
        }
    }

    /// `x == n` for an integer `n`. `None` when the answer depends on rounding to a double.
    pub fn equals_i64(&self, n: i64) -> Option<bool> {
        let n = JsNumber::from_i64(n);
        match self.js_order(&n)? {
            Some(ord) => Some(ord == Ordering::Equal),
            None => Some(false),
        }
    }

    /// `x < y` in JavaScript (false when either is `NaN`). `None` when the answer depends on
    /// how a double would round an inexact operand.
    pub fn js_less_than(&self, other: &JsNumber) -> Option<bool> {
        Some(self.js_order(other)? == Some(Ordering::Less))
    }

    /// The order of two numbers: `Some(None)` when either is `NaN`; `None` when inexact operands
    /// are too close to tell what their doubles would do.
    fn js_order(&self, other: &JsNumber) -> Option<Option<Ordering>> {
        fn class(n: &JsNumber) -> Option<i8> {
            match &n.0 {
                Repr::NaN => None,
                Repr::Infinity { negative: true } => Some(-2),
                Repr::Infinity { negative: false } => Some(2),
                Repr::Finite { digits, .. } if digits.is_empty() => Some(0),
                Repr::Finite { negative: true, .. } => Some(-1),
                Repr::Finite { negative: false, .. } => Some(1),
            }
        }
        let (Some(ca), Some(cb)) = (class(self), class(other)) else { return Some(None) };
        if ca != cb || ca.abs() != 1 {
            return Some(Some(ca.cmp(&cb)));
        }
        let (
            Repr::Finite { digits: da, exp: ea, exact: xa, .. },
            Repr::Finite { digits: db, exp: eb, exact: xb, .. },
        ) = (&self.0, &other.0)
        else {
            return Some(Some(Ordering::Equal));
        };
        let (pa, pb) = (ea + da.len() as i64, eb + db.len() as i64);
        let magnitude = pa.cmp(&pb).then_with(|| da.cmp(db));
        let ord = if ca < 0 { magnitude.reverse() } else { magnitude };
        if (*xa && *xb) || (pa - pb).abs() >= 2 {
            return Some(Some(ord));
        }
        // Align both to 20 digits below the larger point; rounding to a double moves a value by
        // at most 2^-53 of itself, so a difference above 1/4e15 of the larger is certain.
        let top = pa.max(pb);
        let scaled = |digits: &[u8], point: i64| -> u128 {
            let shift = (20 - (top - point)).max(0) as usize;
            digits
                .iter()
                .chain(std::iter::repeat(&b'0'))
                .take(shift)
                .fold(0u128, |acc, &d| acc * 10 + u128::from(d - b'0'))
        };
        let (ma, mb) = (scaled(da, pa), scaled(db, pb));
        let threshold = ma.max(mb) / 4_000_000_000_000_000 + 2;
        if ma.abs_diff(mb) > threshold { Some(Some(ord)) } else { None }
    }

    /// The value truncated toward zero and saturated to `i64` (0 for `NaN`).
    pub fn to_i64_trunc(&self) -> i64 {
        match &self.0 {
            Repr::NaN => 0,
            Repr::Infinity { negative } => {
                if *negative {
                    i64::MIN
                } else {
                    i64::MAX
                }
            }
            Repr::Finite { negative, digits, exp, .. } => {
                let whole = (digits.len() as i64 + exp).min(30);
                let mut value: i64 = 0;
                for i in 0..whole.max(0) {
                    let d = digits.get(i as usize).map_or(0, |d| i64::from(d - b'0'));
                    value = value.saturating_mul(10).saturating_add(d);
                }
                if *negative { value.saturating_neg() } else { value }
            }
        }
    }

    /// `String(x)` (`Number::toString`). `None` when inexact.
    pub fn to_js_string(&self) -> Option<String> {
        match &self.0 {
            Repr::NaN => Some("NaN".to_owned()),
            Repr::Infinity { negative } => Some(if *negative { "-Infinity" } else { "Infinity" }.to_owned()),
            Repr::Finite { exact: false, .. } => None,
            Repr::Finite { digits, .. } if digits.is_empty() => Some("0".to_owned()),
            Repr::Finite { negative, digits, exp, exact: true } => {
                let k = digits.len() as i64;
                let n = exp + k;
                let d = String::from_utf8_lossy(digits);
                let mut out = String::new();
                if *negative {
                    out.push('-');
                }
                if k <= n && n <= 21 {
                    out.push_str(&d);
                    out.extend(std::iter::repeat_n('0', (n - k) as usize));
                } else if 0 < n && n <= 21 {
                    out.push_str(&d[..n as usize]);
                    out.push('.');
                    out.push_str(&d[n as usize..]);
                } else if -6 < n && n <= 0 {
                    out.push_str("0.");
                    out.extend(std::iter::repeat_n('0', (-n) as usize));
                    out.push_str(&d);
                } else {
                    let e = n - 1;
                    out.push_str(&d[..1]);
                    if k > 1 {
                        out.push('.');
                        out.push_str(&d[1..]);
                    }
                    out.push('e');
                    out.push(if e < 0 { '-' } else { '+' });
                    out.push_str(&e.unsigned_abs().to_string());
                }
                Some(out)
            }
        }
    }

    /// `x.toFixed(2)`. `None` when inexact.
    ///
    /// Exact for values with at most two decimals, the only ones the SDK passes it; a value with
    /// more decimals is rounded half away from zero on its decimal digits.
    pub fn to_fixed_2(&self) -> Option<String> {
        let Repr::Finite { negative, digits, exp, exact: true } = &self.0 else {
            return self.to_js_string();
        };
        let point = exp + digits.len() as i64;
        if point > 21 {
            return self.to_js_string();
        }
        // Hundredths as a digit string: shift the digits two places left, then round.
        let shift = exp + 2;
        let mut units: Vec<u8> = if shift >= 0 {
            let mut v = digits.clone();
            v.extend(std::iter::repeat_n(b'0', shift as usize));
            v
        } else {
            let drop = (-shift) as usize;
            let (keep, rest) = if drop >= digits.len() {
                (&[][..], &digits[..])
            } else {
                digits.split_at(digits.len() - drop)
            };
            // Leading digit of the dropped part is at position `drop - 1` from the right.
            let first_dropped = if drop > digits.len() { b'0' } else { rest[0] };
            let mut v = keep.to_vec();
            if first_dropped >= b'5' {
                increment(&mut v);
            }
            v
        };
        if units.is_empty() {
            units.push(b'0');
        }
        while units.len() < 3 {
            units.insert(0, b'0');
        }
        let text = String::from_utf8_lossy(&units);
        let (int, frac) = text.split_at(text.len() - 2);
        let is_negative = *negative && !digits.is_empty();
        Some(format!("{}{}.{}", if is_negative { "-" } else { "" }, int, frac))
    }
}

fn increment(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == b'9' {
            *d = b'0';
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, b'1');
}

/// JavaScript's `StrWhiteSpaceChar`: WhiteSpace and LineTerminator.
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{0009}'
            | '\u{000A}'
            | '\u{000B}'
            | '\u{000C}'
            | '\u{000D}'
            | '\u{0020}'
            | '\u{00A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// The longest prefix of `s` that is a `StrDecimalLiteral` (sign, `Infinity`, digits with an
/// optional fraction and exponent), with the number of bytes used.
fn decimal_prefix(s: &[u8]) -> Option<(JsNumber, usize)> {
    let mut i = 0;
    let mut negative = false;
    if let Some(&c) = s.first()
        && (c == b'+' || c == b'-')
    {
        negative = c == b'-';
        i = 1;
    }
    if s[i..].starts_with(b"Infinity") {
        return Some((JsNumber(Repr::Infinity { negative }), i + 8));
    }
    let int_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits: Vec<u8> = s[int_start..i].to_vec();
    let mut exp: i64 = 0;
    let mut has_digits = !digits.is_empty();
    if i < s.len() && s[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if has_digits || j > frac_start {
            digits.extend_from_slice(&s[frac_start..j]);
            exp -= (j - frac_start) as i64;
            has_digits = true;
            i = j;
        }
    }
    if !has_digits {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        let mut exp_negative = false;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            exp_negative = s[j] == b'-';
            j += 1;
        }
        let exp_start = j;
        let mut e: i64 = 0;
        while j < s.len() && s[j].is_ascii_digit() {
            e = e.saturating_mul(10).saturating_add(i64::from(s[j] - b'0'));
            j += 1;
        }
        if j > exp_start {
            e = e.min(1_000_000_000);
            exp += if exp_negative { -e } else { e };
            i = j;
        }
    }
    Some((JsNumber::from_parts(negative, &digits, exp), i))
}

fn trim_js_start(s: &str) -> &str {
    s.trim_start_matches(is_js_whitespace)
}

/// `Number(s)` for a string (`StringToNumber`).
pub fn string_to_number(s: &str) -> JsNumber {
    let t = s.trim_matches(is_js_whitespace);
    if t.is_empty() {
        return JsNumber::from_i64(0);
    }
    let b = t.as_bytes();
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => Some(16),
            b'o' | b'O' => Some(8),
            b'b' | b'B' => Some(2),
            _ => None,
        };
        if let Some(radix) = radix {
            return radix_integer(&t[2..], radix).unwrap_or(JsNumber::NAN);
        }
    }
    JsNumber::from_decimal_literal(t).unwrap_or(JsNumber::NAN)
}

/// An unsigned integer in `radix`, all of `digits`; `None` when any is not a digit.
fn radix_integer(digits: &str, radix: u32) -> Option<JsNumber> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u128 = 0;
    let mut overflow = false;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        match value.checked_mul(u128::from(radix)).and_then(|v| v.checked_add(u128::from(d))) {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    if overflow {
        // Far beyond 2^128: only the magnitude matters, and it is far beyond any compared value.
        return Some(JsNumber::from_parts(false, &[b'1'; 40], 0));
    }
    Some(JsNumber::from_parts(false, value.to_string().as_bytes(), 0))
}

/// `parseFloat(s)`.
pub fn parse_float(s: &str) -> JsNumber {
    decimal_prefix(trim_js_start(s).as_bytes()).map_or(JsNumber::NAN, |(n, _)| n)
}

/// `parseInt(s)` with no radix; `None` for `NaN`. Saturates far beyond any value compared.
pub fn parse_int(s: &str) -> Option<i128> {
    let t = trim_js_start(s);
    let mut chars = t.chars().peekable();
    let mut negative = false;
    if let Some(&c) = chars.peek()
        && (c == '+' || c == '-')
    {
        negative = c == '-';
        chars.next();
    }
    let rest: String = chars.collect();
    let (body, radix) =
        if rest.starts_with("0x") || rest.starts_with("0X") { (&rest[2..], 16) } else { (&rest[..], 10) };
    let mut value: i128 = 0;
    let mut any = false;
    for c in body.chars() {
        let Some(d) = c.to_digit(radix) else { break };
        any = true;
        value = value.saturating_mul(i128::from(radix)).saturating_add(i128::from(d));
    }
    any.then_some(if negative { -value } else { value })
}

/// A loose value as the SDK receives it: a string or a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loose {
    /// A JavaScript string.
    Text(String),
    /// A JavaScript number.
    Number(JsNumber),
}

impl Loose {
    /// `String(x)`; `None` for an inexact number.
    pub fn to_js_string(&self) -> Option<String> {
        match self {
            Loose::Text(s) => Some(s.clone()),
            Loose::Number(n) => n.to_js_string(),
        }
    }

    /// `Number(x)`.
    pub fn to_number(&self) -> JsNumber {
        match self {
            Loose::Text(s) => string_to_number(s),
            Loose::Number(n) => n.clone(),
        }
    }

    /// `x == ""` (also true for the number 0).
    pub fn loose_eq_empty(&self) -> bool {
        match self {
            Loose::Text(s) => s.is_empty(),
            Loose::Number(n) => n.is_zero(),
        }
    }

    /// `x == n`; `None` when the comparison needs more precision than kept.
    pub fn loose_eq_i64(&self, n: i64) -> Option<bool> {
        self.to_number().equals_i64(n)
    }

    /// JavaScript truthiness.
    pub fn is_truthy(&self) -> bool {
        match self {
            Loose::Text(s) => !s.is_empty(),
            Loose::Number(n) => n.is_truthy(),
        }
    }
}

/// Length in UTF-16 code units (JavaScript's `String.length`).
pub fn js_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
#[path = "jsnum_tests.rs"]
mod tests;
