//! SDK-shaped JSON input through generation: must return, and whatever it generates must parse.
#![no_main]

use commerce_bakong::khqr::sdk::{self, SdkRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(request) = SdkRequest::from_json(text)
        && let Ok(code) = sdk::generate(&request.input, request.created_at_ms.unwrap_or(1_767_225_600_000))
    {
        assert!(sdk::decode(code.qr()).is_ok(), "{}", code.qr());
    }
});
