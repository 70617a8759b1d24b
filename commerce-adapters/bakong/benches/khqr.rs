//! KHQR generation and verification timings.
#![allow(missing_docs)]

use commerce_bakong::khqr::{self, IndividualInfo, KhqrRequest};
use commerce_core::money::{Currency, Money};
use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::hint::black_box;

const CREATED: i64 = 1_767_225_600_000;
const EXPIRES: i64 = 1_767_226_500_000;

fn request() -> KhqrRequest {
    KhqrRequest::new(
        IndividualInfo::new("jonhsmith@nbcq").account_information("012345678").acquiring_bank("Dev Bank"),
        "Jonh Smith",
    )
    .merchant_city("Siem Reap")
    .amount(Money::new(Decimal::new(150, 2), Currency::USD))
    .bill_number("INV-2026-0001")
    .store_label("Coffee Shop")
    .terminal_label("Counter 1")
    .expires_at_ms(EXPIRES)
}

fn benches(c: &mut Criterion) {
    let req = request();
    c.bench_function("khqr/generate_dynamic", |b| {
        b.iter(|| khqr::generate(black_box(&req), black_box(CREATED)))
    });
    let qr = match khqr::generate(&req, CREATED) {
        Ok(code) => code.into_qr(),
        Err(e) => panic!("benchmark input must generate: {e}"),
    };
    c.bench_function("khqr/decode_verify", |b| b.iter(|| khqr::verify(black_box(&qr), black_box(CREATED))));
}

criterion_group!(khqr_benches, benches);
criterion_main!(khqr_benches);
