// Runs the official bakong-khqr SDK on JSON-line cases for the Rust cross-check
// (tests/khqr_sdk_crosscheck.rs).
//
//   node harness.js <dir containing node_modules/bakong-khqr>   < cases.jsonl > answers.jsonl
//
// Each input line is {"id": n, "op": "generate" | "decode" | "verify", ...}:
//   generate: {"input": {SDK keys..., "creationTimestamp": ms}}  -> {"qr","md5"} | {"error":{code,message}} | {"crash": text}
//   decode:   {"qr": text}                                      -> {"decoded": {...}} | {"hang": true}
//   verify:   {"qr": text, "now": ms}                           -> {"valid": bool} | {"hang": true}
// An optional "timeout" (ms, default 300) bounds decode and verify.
// Date.now is pinned to the case's creation time (generate) or "now" (verify). Calls run under a
// vm timeout because the SDK's decoder loops forever on some malformed templates.
"use strict";
const vm = require("vm");
const readline = require("readline");

const sdkDir = process.argv[2] || process.env.COMMERCE_KHQR_SDK_DIR;
const sdk = require(require.resolve("bakong-khqr", { paths: [sdkDir] }));
const { BakongKHQR, IndividualInfo, MerchantInfo } = sdk;
const version = require(require.resolve("bakong-khqr/package.json", { paths: [sdkDir] })).version;

const realNow = Date.now;
function withNow(ms, f) {
  Date.now = () => ms;
  try {
    return f();
  } finally {
    Date.now = realNow;
  }
}

// Sub-millisecond normally; a timeout is confirmed by the Rust side with a longer one ("timeout").
const TIMEOUT_MS = 300;
let timeout = TIMEOUT_MS;
function bounded(f) {
  return vm.runInNewContext("f()", { f }, { timeout });
}
function isTimeout(e) {
  return e && e.code === "ERR_SCRIPT_EXECUTION_TIMEOUT";
}

// Lone surrogates (a length that splits a pair) become U+FFFD, as in Rust's lossy UTF-16.
function wellFormed(v) {
  return typeof v === "string" ? v.toWellFormed() : v;
}

const DECODED_KEYS = [
  "merchantType", "bakongAccountID", "accountInformation", "merchantID", "acquiringBank",
  "billNumber", "mobileNumber", "storeLabel", "terminalLabel", "purposeOfTransaction",
  "languagePreference", "merchantNameAlternateLanguage", "merchantCityAlternateLanguage",
  "creationTimestamp", "expirationTimestamp", "payloadFormatIndicator", "pointofInitiationMethod",
  "unionPayMerchant", "merchantCategoryCode", "transactionCurrency", "transactionAmount",
  "countryCode", "merchantName", "merchantCity", "crc",
];

const POSITIONAL = ["type", "bakongAccountID", "merchantName", "merchantCity", "merchantID", "creationTimestamp"];

function generate(c) {
  const i = c.input;
  const merchant = i.type === "merchant";
  const optional = {};
  for (const [k, v] of Object.entries(i)) {
    if (POSITIONAL.includes(k)) continue;
    if (merchant && k === "acquiringBank") continue;
    optional[k] = v;
  }
  try {
    return withNow(i.creationTimestamp, () => {
      const khqr = new BakongKHQR();
      const res = merchant
        ? khqr.generateMerchant(new MerchantInfo(i.bakongAccountID, i.merchantName, i.merchantCity, i.merchantID, i.acquiringBank, optional))
        : khqr.generateIndividual(new IndividualInfo(i.bakongAccountID, i.merchantName, i.merchantCity, optional));
      if (res.status.code !== 0) return { error: { code: res.status.errorCode, message: res.status.message } };
      if (typeof res.data.qr !== "string") return { crash: String(res.data.qr) };
      return { qr: res.data.qr, md5: res.data.md5 };
    });
  } catch (e) {
    return { crash: String(e) };
  }
}

function decode(c) {
  try {
    const data = bounded(() => BakongKHQR.decode(c.qr).data);
    const decoded = {};
    for (const k of DECODED_KEYS) decoded[k] = data[k] === undefined ? null : wellFormed(data[k]);
    return { decoded };
  } catch (e) {
    if (isTimeout(e)) return { hang: true };
    return { crash: String(e) };
  }
}

function verify(c) {
  try {
    return { valid: withNow(c.now, () => bounded(() => BakongKHQR.verify(c.qr).isValid)) };
  } catch (e) {
    if (isTimeout(e)) return { hang: true };
    return { crash: String(e) };
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
process.stdout.write(JSON.stringify({ id: -1, version }) + "\n");
rl.on("line", (line) => {
  if (!line.trim()) return;
  const c = JSON.parse(line);
  timeout = c.timeout || TIMEOUT_MS;
  const op = { generate, decode, verify }[c.op];
  const answer = op ? op(c) : { crash: "unknown op " + c.op };
  process.stdout.write(JSON.stringify({ id: c.id, ...answer }) + "\n");
});
