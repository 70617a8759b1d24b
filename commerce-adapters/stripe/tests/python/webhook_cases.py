"""Generates Stripe webhook cases with Stripe's official Python SDK and records its verdicts.

Usage: python webhook_cases.py SEED COUNT > cases.jsonl

Each output line: {"secret", "payload_hex", "header", "now", "tolerance", "valid", "code", "detail"}.
Signatures are made with stripe.WebhookSignature; verdicts come from stripe.Webhook.construct_event
with time.time pinned to `now`. `code` names the refusal in the terms commerce-stripe uses.
"""

import hashlib
import hmac
import json
import random
import string
import sys
import time

import stripe
from stripe import Webhook, WebhookSignature

assert stripe.VERSION == "16.1.0", stripe.VERSION

SEED, COUNT = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(SEED)

WORDS = ["café", "ជំរាបសួរ", "日本語", "emoji 🎉", "quote \" and \\ backslash", "tab\tnew\nline", "ascii", "", "ß", "\u2028"]
EVENT_TYPES = ["payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded", "refund.created"]


def rand_text(n_min=0, n_max=12, alphabet=string.ascii_letters + string.digits + "_"):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(n_min, n_max)))


def rand_value(depth=0):
    r = rng.random()
    if depth > 2 or r < 0.3:
        return rng.choice([rng.randint(-10**12, 10**12), rng.choice(WORDS) + rand_text(0, 4), True, False, None, rng.randint(0, 99999) / 100])
    if r < 0.6:
        return [rand_value(depth + 1) for _ in range(rng.randint(0, 3))]
    return {rand_text(1, 8): rand_value(depth + 1) for _ in range(rng.randint(0, 4))}


def rand_body(t):
    event = {
        "id": "evt_" + rand_text(8, 24),
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": t,
        "data": {"object": {"id": "pi_" + rand_text(8, 24), "object": "payment_intent", "amount": rng.randint(1, 10**8),
                            "currency": rng.choice(["usd", "jpy", "kwd", "isk"]), "metadata": {"note": rng.choice(WORDS)},
                            "extra": rand_value()}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": rng.choice(EVENT_TYPES),
    }
    kind = rng.random()
    if kind < 0.04:
        return "not json at all"
    if kind < 0.07:
        return json.dumps([event])
    if kind < 0.10:
        return json.dumps({"object": "v2.core.event", "id": "evt_" + rand_text(8, 8)})
    if kind < 0.13:
        return '{"a": NaN, "b": Infinity, "c": 1e400, "d": "\\ud800"}'
    if kind < 0.15:
        return "{}"
    return json.dumps(event, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, None, 2]), sort_keys=rng.random() < 0.5)


def sign(secret, t_text, payload_bytes):
    return hmac.new(secret.encode("utf-8"), t_text.encode() + b"." + payload_bytes, hashlib.sha256).hexdigest()


def sdk_sign(secret, t, payload_str):
    """The SDK's own signer (str payloads only)."""
    return WebhookSignature._compute_signature("%d.%s" % (t, payload_str), secret)


def garbage_header():
    alphabet = "tv01=,_ -+x9é\t"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))


def make_case():
    now = rng.randint(1_600_000_000, 1_900_000_000)
    secret = "whsec_" + rand_text(8, 40)
    tolerance = rng.choice([300, 300, 300, None, 0, rng.randint(1, 1000)])
    offset = rng.choice([0, rng.randint(-320, 20), rng.randint(-5000, 5000), -300, -301, 10**6])
    t = now + offset
    payload = rand_body(t)
    payload_bytes = payload.encode("utf-8")
    sig = sdk_sign(secret, t, payload)
    other_sig = sdk_sign("whsec_" + rand_text(8, 40), t, payload)
    variant = rng.choice([
        "valid", "valid", "valid", "multi", "multi", "v0_only", "no_t", "garbage", "tampered", "wrong_secret",
        "upper", "t_forms", "t_dup", "sig_suffix", "non_ascii_sig", "empty", "space_item", "bad_utf8",
        "blank_secret", "t_no_value", "v1_no_value", "huge_t",
    ])
    header = f"t={t},v1={sig}"
    if variant == "multi":
        items = [f"v1={other_sig}", f"v1={sig}", f"v0={other_sig}", f"v1={rand_text(64, 64, '0123456789abcdef')}"]
        rng.shuffle(items)
        header = ",".join([f"t={t}"] + items)
    elif variant == "v0_only":
        header = f"t={t},v0={sig}"
    elif variant == "no_t":
        header = f"v1={sig}"
    elif variant == "garbage":
        header = garbage_header()
    elif variant == "tampered":
        payload = payload.replace("1", "2", 1) if "1" in payload else payload + " "
        payload_bytes = payload.encode("utf-8")
    elif variant == "wrong_secret":
        header = f"t={t},v1={other_sig}"
    elif variant == "upper":
        header = f"t={t},v1={sig.upper()}"
    elif variant == "t_forms":
        form = rng.choice([f"00{t}", f" {t} ", f"+{t}", f"{str(t)[:3]}_{str(t)[3:]}", f"\u00a0{t}", "".join(chr(0x660 + int(d)) for d in str(t))])
        header = f"t={form},v1={sig}"
    elif variant == "t_dup":
        header = f"t={t},v1={sig},t={t + 1}"
    elif variant == "sig_suffix":
        header = f"t={t},v1={sig}=junk=more"
    elif variant == "non_ascii_sig":
        header = f"t={t},v1=é{sig[1:]},v1={sig}" if rng.random() < 0.5 else f"t={t},v1={sig},v1=é"
    elif variant == "empty":
        header = ""
    elif variant == "space_item":
        header = f"t={t}, v1={sig}"
    elif variant == "bad_utf8":
        payload_bytes = payload_bytes + b"\xff\xfe"
        header = f"t={t},v1={sign(secret, str(t), payload_bytes)}"
    elif variant == "blank_secret":
        secret = rng.choice(["", "   ", "\t\n"])
    elif variant == "t_no_value":
        header = f"t={t},v1={sig},t"
    elif variant == "v1_no_value":
        header = f"t={t},v1={sig},v1"
    elif variant == "huge_t":
        big = rng.choice(["9" * 40, "-" + "9" * 40])
        header = f"t={big},v1={sign(secret, str(int(big)), payload_bytes)}"
    return variant, secret, payload_bytes, header, now, tolerance


def verdict(secret, payload_bytes, header, now, tolerance):
    real_time = time.time
    time.time = lambda: float(now)
    try:
        kwargs = {} if tolerance is None else {"tolerance": tolerance}
        Webhook.construct_event(payload_bytes, header, secret, **kwargs)
        return True, None, ""
    except stripe.SignatureVerificationError as e:
        msg = str(e)
        for prefix, code in [
            ("No Stripe-Signature header", "missing_header"),
            ("No webhook secret", "missing_secret"),
            ("Unable to extract", "malformed_header"),
            ("No signatures found with expected scheme", "no_v1_signature"),
            ("No signatures found matching", "signature_mismatch"),
            ("Timestamp outside the tolerance zone", "timestamp_outside_tolerance"),
        ]:
            if msg.startswith(prefix):
                return False, code, msg
        return False, "unknown", msg
    except UnicodeDecodeError as e:
        return False, "payload_not_utf8", str(e)
    except TypeError as e:
        # hmac.compare_digest refuses non-ASCII text
        return False, "malformed_header", str(e)
    except (ValueError, AttributeError, RecursionError) as e:
        return False, "invalid_payload", f"{type(e).__name__}: {e}"
    finally:
        time.time = real_time


for _ in range(COUNT):
    variant, secret, payload_bytes, header, now, tolerance = make_case()
    valid, code, detail = verdict(secret, payload_bytes, header, now, tolerance)
    print(json.dumps({
        "variant": variant, "secret": secret, "payload_hex": payload_bytes.hex(), "header": header,
        "now": now, "tolerance": tolerance, "valid": valid, "code": code, "detail": detail,
    }, ensure_ascii=False))
