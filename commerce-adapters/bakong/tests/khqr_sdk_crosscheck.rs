//! Cross-check against the official `bakong-khqr@1.0.20` npm SDK: a few hundred seeded random
//! generation inputs (valid and invalid), then decode and verify of valid and corrupted codes,
//! compared byte for byte, error code for error code and verdict for verdict. The hand-written
//! rule tables of `khqr_errors.rs` (tests/sdk/cases.rs) go through the same comparison first.
//!
//! The SDK is found in `COMMERCE_KHQR_SDK_DIR` (a directory holding `node_modules/bakong-khqr`;
//! default `$HOME/.cache/commerce/bakong-khqr-sdk`, where `.ci/setup-bakong-sdk.sh` installs it).
//! Without node or the SDK the test prints `SKIPPED:` and passes, unless
//! `COMMERCE_REQUIRE_SERVICES=1`. `COMMERCE_KHQR_SEED` replays a run; `COMMERCE_KHQR_CASES`
//! changes the number of generation cases (default 400).
//!
//! Deliberate differences, excluded from the comparison by name and counted:
//! - `template over 99`: the SDK writes a three-digit length; we refuse. (The SDK's own verify
//!   rejects most of what it wrote, but not all: the count is printed.)
//! - `SDK TypeError`: an alternate-language name without a language preference; the SDK returns a
//!   TypeError in place of the QR, we return error 37.
//! - `SDK hangs`: the SDK's decoder loops forever on some malformed templates; we must answer
//!   `Unparsable` for exactly those.
//! - typed `khqr::verify` is stricter than the SDK on malformed structure (`Malformed`).

#[path = "sdk/cases.rs"]
mod cases;
#[path = "sdk/gen.rs"]
mod generator;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use commerce_bakong::khqr::sdk::{self, SdkRequest};
use commerce_bakong::khqr::{self, KhqrError};
use generator::CREATED;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

fn sdk_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("COMMERCE_KHQR_SDK_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    Path::new(&home).join(".cache/commerce/bakong-khqr-sdk")
}

/// The SDK directory, or `None` after printing why the test is skipped.
fn sdk_or_skip() -> Option<PathBuf> {
    let dir = sdk_dir();
    let package = dir.join("node_modules/bakong-khqr/package.json");
    let node = Command::new("node").arg("--version").output();
    let problem = if node.is_err() {
        Some("node is not installed".to_owned())
    } else if !package.exists() {
        Some(format!("bakong-khqr SDK not found at {} (run .ci/setup-bakong-sdk.sh)", package.display()))
    } else {
        None
    };
    match problem {
        None => Some(dir),
        Some(why) if std::env::var("COMMERCE_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("COMMERCE_REQUIRE_SERVICES=1 but {why}")
        }
        Some(why) => {
            println!("SKIPPED: {why}");
            None
        }
    }
}

/// Runs the harness on `cases` (each gets an `id`) and returns the answers in order.
fn run_sdk(dir: &Path, cases: &[Value]) -> Vec<Value> {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/harness.js");
    let mut child = Command::new("node")
        .arg(&harness)
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn node: {e}"));
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    let input: String = cases
        .iter()
        .enumerate()
        .map(|(id, c)| {
            let mut c = c.clone();
            c["id"] = json!(id);
            format!("{c}\n")
        })
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut answers = vec![Value::Null; cases.len()];
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap_or_else(|e| panic!("read harness: {e}"));
        let answer: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("harness said {line}: {e}"));
        match answer["id"].as_i64() {
            Some(-1) => assert_eq!(answer["version"], "1.0.20", "the cross-check pins bakong-khqr 1.0.20"),
            Some(id) => answers[id as usize] = answer,
            None => panic!("answer without id: {line}"),
        }
    }
    writer.join().unwrap_or_else(|_| panic!("writer thread")).unwrap_or_else(|e| panic!("write: {e}"));
    let status = child.wait().unwrap_or_else(|e| panic!("wait node: {e}"));
    assert!(status.success(), "harness exited with {status}");
    assert!(answers.iter().all(|a| !a.is_null()), "the harness skipped cases");
    answers
}

/// A vm timeout under load is not a hang: asks again, with ten times the time, wherever the SDK
/// "hung" and we do not say it would.
fn confirm_hangs(dir: &Path, cases: &[Value], answers: &mut [Value]) {
    let doubtful: Vec<usize> = (0..cases.len())
        .filter(|&i| answers[i]["hang"] == json!(true))
        .filter(|&i| {
            let qr = cases[i]["qr"].as_str().unwrap_or_default();
            let now = cases[i]["now"].as_i64().unwrap_or(CREATED);
            let ours =
                if cases[i]["op"] == "decode" { sdk::decode(qr).err() } else { sdk::verify(qr, now).err() };
            !matches!(ours, Some(KhqrError::Unparsable { .. }))
        })
        .collect();
    if doubtful.is_empty() {
        return;
    }
    let again: Vec<Value> = doubtful
        .iter()
        .map(|&i| {
            let mut c = cases[i].clone();
            c["timeout"] = json!(3000);
            c
        })
        .collect();
    for (i, answer) in doubtful.into_iter().zip(run_sdk(dir, &again)) {
        answers[i] = answer;
    }
}

#[derive(Default)]
struct Tally {
    compared: BTreeMap<&'static str, usize>,
    excluded: BTreeMap<&'static str, usize>,
    error_codes: BTreeMap<u64, usize>,
    mismatches: Vec<String>,
}

impl Tally {
    fn check(&mut self, area: &'static str, ok: bool, detail: impl FnOnce() -> String) {
        *self.compared.entry(area).or_default() += 1;
        if !ok {
            self.mismatches.push(format!("[{area}] {}", detail()));
        }
    }

    fn exclude(&mut self, why: &'static str) {
        *self.excluded.entry(why).or_default() += 1;
    }
}

fn compare_generate(tally: &mut Tally, input: &str, sdk: &Value) -> Option<String> {
    let request = SdkRequest::from_json(input).unwrap_or_else(|e| panic!("our parser refused {input}: {e}"));
    let ours = sdk::generate(&request.input, request.created_at_ms.unwrap_or(CREATED));
    if let Some(qr) = sdk["qr"].as_str() {
        if let Err(KhqrError::TemplateTooLong { .. }) = ours {
            tally.exclude("generate: template over 99 (SDK writes a corrupt code)");
            return Some(qr.to_owned());
        }
        let same = ours.as_ref().is_ok_and(|k| k.qr() == qr && Some(k.md5()) == sdk["md5"].as_str());
        tally.check("generate: success", same, || format!("input {input}\n  sdk  {sdk}\n  ours {ours:?}"));
        return None;
    }
    if let Some(code) = sdk["error"]["code"].as_u64() {
        *tally.error_codes.entry(code).or_default() += 1;
        let same = ours.as_ref().err().map(|e| u64::from(e.code())) == Some(code);
        tally.check("generate: error code", same, || format!("input {input}\n  sdk  {sdk}\n  ours {ours:?}"));
        return None;
    }
    if sdk["crash"].is_string() {
        let ours_37 = ours.as_ref().err().map(KhqrError::code) == Some(37);
        if ours_37 && sdk["crash"].as_str().is_some_and(|c| c.contains("TypeError")) {
            tally.exclude("generate: SDK TypeError (name without language preference)");
        } else {
            tally.check("generate: SDK crash", false, || {
                format!("input {input}\n  sdk {sdk}\n  ours {ours:?}")
            });
        }
        return None;
    }
    panic!("unexpected harness answer {sdk}");
}

/// Verify and decode cases: valid codes, corrupted codes (with stale and with fixed CRCs), junk.
fn corpus(rng: &mut StdRng, valid: &[String]) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for qr in valid {
        let decoded = khqr::decode(qr).ok();
        let expires = decoded.as_ref().and_then(|d| d.expires_at_ms()).unwrap_or(CREATED);
        let created = decoded.as_ref().and_then(|d| d.created_at_ms()).unwrap_or(CREATED);
        let nows = [created, expires, expires + 1, created - 1_000_000];
        out.push((qr.clone(), nows[rng.random_range(0..nows.len())]));
        let body = &qr[..qr.len() - 8];
        let mutated = generator::mutate_body(rng, body);
        out.push((generator::with_crc(&mutated), nows[rng.random_range(0..2)]));
        let mutated = generator::mutate_body(rng, body);
        out.push((generator::with_crc(&mutated), created));
        let stale = format!("{}{}", generator::mutate_body(rng, body), &qr[qr.len() - 8..]);
        out.push((stale, created));
        if rng.random_bool(0.2) {
            out.push((qr.to_lowercase(), created));
        }
    }
    for _ in 0..100 {
        let len = rng.random_range(0..60);
        let junk: String = (0..len).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect();
        out.push((generator::with_crc(&junk), CREATED));
    }
    out
}

fn compare_verify(tally: &mut Tally, qr: &str, now: i64, sdk: &Value) {
    let ours = sdk::verify(qr, now);
    if sdk["hang"] == json!(true) {
        let hangs = matches!(ours, Err(KhqrError::Unparsable { .. }));
        tally.check("verify: SDK hangs, we say Unparsable", hangs, || format!("{qr:?} ours {ours:?}"));
        tally.exclude("verify: SDK hangs");
        return;
    }
    let valid = sdk["valid"].as_bool().unwrap_or_else(|| panic!("verify answer {sdk}"));
    tally.check("verify: verdict", valid == ours.is_ok(), || {
        format!("{qr:?} now {now}: sdk valid={valid}, ours {ours:?}")
    });
    // The typed verify is the SDK's verdict plus well-formed structure.
    match khqr::verify(qr, now) {
        Ok(_) => tally.check("typed verify implies SDK valid", valid, || format!("{qr:?}")),
        Err(KhqrError::Malformed { .. }) if valid => tally.exclude("typed verify: stricter on structure"),
        Err(e) => tally.check("typed verify: same verdict", !valid, || format!("{qr:?}: {e}")),
    }
}

fn compare_decode(tally: &mut Tally, qr: &str, sdk: &Value) {
    let ours = sdk::decode(qr);
    if sdk["hang"] == json!(true) {
        let hangs = matches!(ours, Err(KhqrError::Unparsable { .. }));
        tally.check("decode: SDK hangs, we say Unparsable", hangs, || format!("{qr:?} ours {ours:?}"));
        tally.exclude("decode: SDK hangs");
        return;
    }
    let ours = ours.map(|d| serde_json::to_value(d).unwrap_or_default());
    let same = ours.as_ref().is_ok_and(|d| *d == sdk["decoded"]);
    tally.check("decode: fields", same, || format!("{qr:?}\n  sdk  {}\n  ours {ours:?}", sdk["decoded"]));
}

#[test]
fn crosscheck_against_the_official_sdk() {
    let Some(dir) = sdk_or_skip() else { return };
    let seed = std::env::var("COMMERCE_KHQR_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random::<u64>());
    let count = std::env::var("COMMERCE_KHQR_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    println!("seed {seed} (replay with COMMERCE_KHQR_SEED={seed}), {count} generation cases");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tally = Tally::default();

    // The hand-written rule table first, then the random cases.
    let inputs: Vec<String> = cases::generation()
        .into_iter()
        .map(|(_, json, _)| json)
        .chain((0..count).map(|_| serde_json::to_string(&generator::input(&mut rng)).unwrap_or_default()))
        .collect();
    let cases: Vec<Value> = inputs
        .iter()
        .map(|i| json!({"op": "generate", "input": serde_json::from_str::<Value>(i).unwrap_or_default()}))
        .collect();
    let answers = run_sdk(&dir, &cases);
    let mut too_long = Vec::new();
    for (input, answer) in inputs.iter().zip(&answers) {
        too_long.extend(compare_generate(&mut tally, input, answer));
    }
    let valid: Vec<String> = answers
        .iter()
        .filter_map(|a| a["qr"].as_str().map(str::to_owned))
        .filter(|qr| khqr::decode(qr).is_ok())
        .collect();

    let mut verify_cases: Vec<(String, i64)> =
        cases::verification().into_iter().map(|(_, qr, now, _)| (qr, now)).collect();
    verify_cases.extend(corpus(&mut rng, &valid));
    let mut cases: Vec<Value> =
        verify_cases.iter().map(|(qr, now)| json!({"op": "verify", "qr": qr, "now": now})).collect();
    cases.extend(verify_cases.iter().map(|(qr, _)| json!({"op": "decode", "qr": qr})));
    cases.extend(too_long.iter().map(|qr| json!({"op": "verify", "qr": qr, "now": CREATED})));
    let mut answers = run_sdk(&dir, &cases);
    confirm_hangs(&dir, &cases, &mut answers);
    let n = verify_cases.len();
    for ((qr, now), answer) in verify_cases.iter().zip(&answers[..n]) {
        compare_verify(&mut tally, qr, *now, answer);
    }
    for ((qr, _), answer) in verify_cases.iter().zip(&answers[n..2 * n]) {
        compare_decode(&mut tally, qr, answer);
    }
    let accepted = answers[2 * n..].iter().filter(|a| a["valid"] == json!(true)).count();
    println!(
        "the SDK's own verify accepts {accepted} of the {} corrupt over-99 codes it generated",
        too_long.len()
    );

    println!("compared: {:#?}", tally.compared);
    println!("excluded (documented differences): {:#?}", tally.excluded);
    println!("SDK error codes seen in generation (code: cases): {:?}", tally.error_codes);
    let successes = inputs.len() - tally.compared.get("generate: error code").copied().unwrap_or(0);
    println!("generation cases the SDK accepted: {}", valid.len());
    assert!(
        valid.len() >= count / 10,
        "too few valid codes ({}) to cross-check decode and verify",
        valid.len()
    );
    assert!(successes > 0);
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches with the SDK (seed {seed}):\n{}",
        tally.mismatches.len(),
        tally.mismatches.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
}
