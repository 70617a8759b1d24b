//! Unit tests of the JavaScript number emulation; each expected value was checked with node.
use super::*;

fn num(s: &str) -> JsNumber {
    string_to_number(s)
}

#[test]
fn to_string_matches_javascript() {
    // (input to Number(), String(Number(input))) pairs checked against node.
    let cases = [
        ("0", "0"),
        ("-0", "0"),
        ("1.50", "1.5"),
        ("10.00", "10"),
        ("1e21", "1e+21"),
        ("123456789012345e7", "1.23456789012345e+21"),
        ("1e20", "100000000000000000000"),
        ("0.000001", "0.000001"),
        ("0.0000001", "1e-7"),
        ("1.5e-7", "1.5e-7"),
        ("-12.25", "-12.25"),
        (" 42 ", "42"),
        ("0x10", "16"),
        ("0b101", "5"),
        ("0o17", "15"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("abc", "NaN"),
        ("", "0"),
        ("1e400", "Infinity"),
        ("1e-400", "0"),
        (".5", "0.5"),
        ("5.", "5"),
        ("+5", "5"),
        ("0x", "NaN"),
        ("-0x10", "NaN"),
        ("1_000", "NaN"),
    ];
    for (input, expected) in cases {
        assert_eq!(num(input).to_js_string().as_deref(), Some(expected), "Number({input:?})");
    }
}

#[test]
fn precision_beyond_a_double_is_flagged() {
    assert!(num("1.0000000000000001").is_inexact());
    assert!(num("12345678901234567").is_inexact());
    assert!(!num("123456789012345").is_inexact());
    assert!(!num("100000000000000000000000").is_inexact());
}

#[test]
fn parse_float_and_int() {
    let floats = [
        ("1.5x", "1.5"),
        ("  .5", "0.5"),
        ("x1", "NaN"),
        ("1e", "1"),
        ("1.e5", "100000"),
        ("-Infinityx", "-Infinity"),
    ];
    for (input, expected) in floats {
        assert_eq!(parse_float(input).to_js_string().as_deref(), Some(expected), "parseFloat({input:?})");
    }
    let ints = [
        ("116", Some(116)),
        ("116.5", Some(116)),
        (" 84", Some(84)),
        ("0x74", Some(116)),
        ("x", None),
        ("-5", Some(-5)),
        ("0x", None),
    ];
    for (input, expected) in ints {
        assert_eq!(parse_int(input), expected, "parseInt({input:?})");
    }
}

#[test]
fn to_fixed_two() {
    let cases = [
        ("1.5", "1.50"),
        ("0.01", "0.01"),
        ("10", "10.00"),
        ("-1.5", "-1.50"),
        ("1e21", "1e+21"),
        ("0", "0.00"),
    ];
    for (input, expected) in cases {
        assert_eq!(num(input).to_fixed_2().as_deref(), Some(expected), "({input}).toFixed(2)");
    }
    assert_eq!(JsNumber::NAN.to_fixed_2().as_deref(), Some("NaN"));
}

#[test]
fn ordering_and_equality() {
    assert_eq!(num("1767226500000").js_less_than(&num("1767225600000")), Some(false));
    assert_eq!(num("1767225600000").js_less_than(&num("1767226500000")), Some(true));
    assert_eq!(num("-6").js_less_than(&num("-5")), Some(true));
    assert_eq!(num("-5").js_less_than(&num("-6")), Some(false));
    assert_eq!(num("116").equals_i64(116), Some(true));
    assert_eq!(num("116.5").equals_i64(116), Some(false));
    assert_eq!(JsNumber::NAN.js_less_than(&num("1")), Some(false));
    // Inexact values compare when their doubles cannot tie, and refuse to guess otherwise.
    assert_eq!(num("1767226500000").js_less_than(&num("12345678901234567890123456")), Some(true));
    assert_eq!(num("1767226500000.00001").js_less_than(&num("1767226500000")), None);
    assert_eq!(num("9999999999999.999999").js_less_than(&num("1")), Some(false));
    assert_eq!(js_len("😀a"), 3);
}
