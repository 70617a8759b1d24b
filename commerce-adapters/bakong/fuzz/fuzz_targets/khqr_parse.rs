//! Every KHQR parser on arbitrary text: must return, never panic or loop.
#![no_main]

use commerce_bakong::khqr::{self, sdk};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Also with a valid CRC, so the parsers get past the first check.
    let mut with_crc = format!("{text}6304");
    with_crc.push_str(&khqr::crc16_hex(&with_crc));
    for s in [text.as_ref(), with_crc.as_str()] {
        let _ = khqr::decode(s);
        let _ = khqr::verify(s, 1_767_225_600_000);
        let _ = sdk::decode(s);
        let _ = sdk::verify(s, 1_767_225_600_000);
    }
});
