//! Shared helpers for the integration tests: service locations and the skip rule.
#![allow(dead_code)]

pub mod stub;

/// Whether a missing service is a failure (`COMMERCE_REQUIRE_SERVICES=1`, as in CI).
pub fn services_required() -> bool {
    std::env::var("COMMERCE_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Skips the test with a `SKIPPED:` line, or fails it when services are required.
#[macro_export]
macro_rules! skip {
    ($($why:tt)*) => {{
        let why = format!($($why)*);
        if common::services_required() {
            panic!("{why} (COMMERCE_REQUIRE_SERVICES=1 makes this a failure)");
        }
        println!("SKIPPED: {why}");
        return;
    }};
}

/// localstripe's URL: `COMMERCE_TEST_STRIPE_URL`, default `http://127.0.0.1:8420`.
pub fn localstripe_url() -> String {
    std::env::var("COMMERCE_TEST_STRIPE_URL").unwrap_or_else(|_| "http://127.0.0.1:8420".to_owned())
}

/// Whether something answers HTTP at `url` within two seconds.
pub async fn answers(url: &str) -> bool {
    let Ok(client) = reqwest::Client::builder().timeout(std::time::Duration::from_secs(2)).build() else {
        return false;
    };
    client.get(format!("{url}/v1/balance")).bearer_auth("sk_test_probe").send().await.is_ok()
}
