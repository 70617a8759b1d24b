//! What Stripe's Python SDK accepts as a webhook body after the signature check:
//! `json.loads(body)` must succeed, give a JSON object, and that object's `"object"` must not be
//! `"v2.core.event"` (a thin event, refused by `construct_event`).
//!
//! Python's `json` is more liberal than `serde_json` (it takes `NaN`, `Infinity`, `-Infinity`,
//! numbers of any size, lone `\ud800` surrogate escapes and unlimited nesting up to its recursion
//! limit), so the verdict is computed by this small scanner that follows CPython's `_json`
//! scanner rather than by `serde_json`. Known difference: Python gives up on nesting deeper than
//! its recursion limit (about 1000 levels); this scanner has no limit.

/// Python's limit on the digits of an integer literal (`sys.get_int_max_str_digits()`).
const PY_MAX_INT_DIGITS: usize = 4300;

/// Checks `text` the way `stripe.Webhook.construct_event` does after verification.
pub(crate) fn check_event_payload(text: &str) -> Result<(), String> {
    if text.starts_with('\u{feff}') {
        return Err("Unexpected UTF-8 BOM".into());
    }
    let mut s = Scanner { b: text.as_bytes(), i: 0 };
    s.ws();
    let top_is_object = s.peek() == Some(b'{');
    let is_thin_event = s.document()?;
    s.ws();
    if s.i != s.b.len() {
        return Err(format!("Extra data at byte {}", s.i));
    }
    if !top_is_object {
        return Err("the payload is not a JSON object".into());
    }
    if is_thin_event {
        return Err("a thin (v2) event notification is not a webhook event".into());
    }
    Ok(())
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// Scans one JSON document; returns whether the top-level object's last `"object"` member
    /// is the string `"v2.core.event"`.
    fn document(&mut self) -> Result<bool, String> {
        // Open containers: `{` or `[`. Iterative, so deep nesting cannot overflow the stack.
        let mut stack: Vec<u8> = Vec::new();
        let mut thin = false;
        // Whether the value being scanned is the top-level object's `"object"` member.
        let mut capture = false;
        'value: loop {
            self.ws();
            let at_top_member = capture;
            capture = false;
            match self.peek() {
                Some(b'{') => {
                    self.i += 1;
                    stack.push(b'{');
                    if at_top_member {
                        thin = false;
                    }
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        stack.pop();
                    } else {
                        capture = self.member_key(stack.len() == 1)?;
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    stack.push(b'[');
                    if at_top_member {
                        thin = false;
                    }
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        stack.pop();
                    } else {
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    let text = self.string(at_top_member)?;
                    if at_top_member {
                        thin = text.is_some_and(|t| t == "v2.core.event".encode_utf16().collect::<Vec<_>>());
                    }
                }
                Some(_) => {
                    self.scalar()?;
                    if at_top_member {
                        thin = false;
                    }
                }
                None => return self.err("Expecting value"),
            }
            // A value ended: close containers until one expects more.
            loop {
                let Some(&open) = stack.last() else { break 'value };
                self.ws();
                match (open, self.peek()) {
                    (b'{', Some(b',')) => {
                        self.i += 1;
                        self.ws();
                        capture = self.member_key(stack.len() == 1)?;
                        continue 'value;
                    }
                    (b'[', Some(b',')) => {
                        self.i += 1;
                        continue 'value;
                    }
                    (b'{', Some(b'}')) | (b'[', Some(b']')) => {
                        self.i += 1;
                        stack.pop();
                    }
                    _ => return self.err("Expecting ',' delimiter"),
                }
            }
        }
        Ok(thin)
    }

    /// Scans `"key" :` and says whether it is the top-level `"object"` key.
    fn member_key(&mut self, top_level: bool) -> Result<bool, String> {
        if self.peek() != Some(b'"') {
            return self.err("Expecting property name enclosed in double quotes");
        }
        let key = self.string(top_level)?;
        self.ws();
        if self.peek() != Some(b':') {
            return self.err("Expecting ':' delimiter");
        }
        self.i += 1;
        Ok(key.is_some_and(|k| k == "object".encode_utf16().collect::<Vec<_>>()))
    }

    /// Scans a string starting at `"`; decodes it to UTF-16 units when `decode` is set.
    fn string(&mut self, decode: bool) -> Result<Option<Vec<u16>>, String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else { return self.err("Unterminated string") };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(decode.then_some(out));
                }
                b'\\' => {
                    let Some(e) = self.b.get(self.i + 1).copied() else {
                        return self.err("Unterminated string");
                    };
                    let unit = match e {
                        b'"' => u16::from(b'"'),
                        b'\\' => u16::from(b'\\'),
                        b'/' => u16::from(b'/'),
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => u16::from(b'\n'),
                        b'r' => u16::from(b'\r'),
                        b't' => u16::from(b'\t'),
                        b'u' => {
                            let hex = self
                                .b
                                .get(self.i + 2..self.i + 6)
                                .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                            let value = hex
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u16::from_str_radix(h, 16).ok());
                            let Some(v) = value else { return self.err("Invalid \\uXXXX escape") };
                            self.i += 4;
                            v
                        }
                        _ => return self.err("Invalid \\escape"),
                    };
                    self.i += 2;
                    if decode {
                        out.push(unit);
                    }
                }
                0x00..=0x1f => return self.err("Invalid control character"),
                _ => {
                    // Copy one UTF-8 character (the input is valid UTF-8).
                    let len = match c {
                        0x00..=0x7f => 1,
                        0xc0..=0xdf => 2,
                        0xe0..=0xef => 3,
                        _ => 4,
                    };
                    if decode {
                        let ch = std::str::from_utf8(&self.b[self.i..self.i + len]).unwrap_or("\u{fffd}");
                        out.extend(ch.encode_utf16());
                    }
                    self.i += len;
                }
            }
        }
    }

    /// Scans `null`, `true`, `false`, `NaN`, `Infinity`, `-Infinity` or a number.
    fn scalar(&mut self) -> Result<(), String> {
        for word in [&b"null"[..], b"true", b"false", b"NaN", b"Infinity", b"-Infinity"] {
            if self.literal(word) {
                return Ok(());
            }
        }
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits_start = self.i;
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => {
                self.i = start;
                return self.err("Expecting value");
            }
        }
        let int_digits = self.i - digits_start;
        let mut is_float = false;
        if self.peek() == Some(b'.') && self.b.get(self.i + 1).is_some_and(u8::is_ascii_digit) {
            is_float = true;
            self.i += 1;
            self.skip_digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let e_start = self.i;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            let exp_digits = self.i;
            self.skip_digits();
            if self.i > exp_digits {
                is_float = true;
            } else {
                self.i = e_start;
            }
        }
        if !is_float && int_digits > PY_MAX_INT_DIGITS {
            return self.err("Exceeds the limit (4300 digits) for integer string conversion");
        }
        Ok(())
    }

    fn skip_digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verdicts of Python 3.11's `json.loads` + `construct_event`'s object checks.
    fn check(text: &str, valid: bool) {
        assert_eq!(check_event_payload(text).is_ok(), valid, "{text:?}: {:?}", check_event_payload(text));
    }

    #[test]
    fn payload_verdicts_match_python() {
        let table: &[(&str, bool)] = &[
            ("{}", true),
            (" \n{\"id\":\"evt_1\"}\r\n\t", true),
            (r#"{"a":[1,2.5,-0,1e400,-1E-5,true,false,null,NaN,Infinity,-Infinity,{"b":[]}]}"#, true),
            (r#"{"a":"\ud800","b":"\u00e9\n\t\"\\\/","c":"ключ 🎉"}"#, true),
            (r#"{"a":1,"a":2}"#, true),
            (r#"{"object":"event"}"#, true),
            (r#"{"object":"v2.core.event"}"#, false),
            (r#"{"object":"v2.core\u002eevent"}"#, false),
            (r#"{"object":"v2.core.event","object":"event"}"#, true),
            (r#"{"object":"event","object":"v2.core.event"}"#, false),
            (r#"{"data":{"object":"v2.core.event"}}"#, true),
            (r#"{"object":{"x":"v2.core.event"}}"#, true),
            ("[1]", false),
            ("\"s\"", false),
            ("1", false),
            ("null", false),
            ("", false),
            ("\u{feff}{}", false),
            ("{} x", false),
            ("{}{}", false),
            (r#"{"a":1,}"#, false),
            (r#"{"a" 1}"#, false),
            ("{'a':1}", false),
            (r#"{"a":[1,]}"#, false),
            (r#"{"a":01}"#, false),
            (r#"{"a":1.}"#, false),
            (r#"{"a":.5}"#, false),
            (r#"{"a":1e}"#, false),
            (r#"{"a":+1}"#, false),
            (r#"{"a":-}"#, false),
            (r#"{"a":nul}"#, false),
            (r#"{"a":nan}"#, false),
            (r#"{"a":"\x"}"#, false),
            (r#"{"a":"\u12"}"#, false),
            ("{\"a\":\"tab\there\"}", false),
            (r#"{"a":"unterminated}"#, false),
            ("{\"a\":1}\u{a0}", false),
            ("{\u{a0}\"a\":1}", false),
        ];
        for &(text, valid) in table {
            check(text, valid);
        }
        check(&format!("{{\"n\":{}}}", "9".repeat(4300)), true);
        check(&format!("{{\"n\":{}}}", "9".repeat(4301)), false);
        check(&format!("{{\"n\":{}.5}}", "9".repeat(5000)), true);
        let deep = format!("{{\"d\":{}{}}}", "[".repeat(500), "]".repeat(500));
        check(&deep, true);
    }
}
