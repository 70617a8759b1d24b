# Sourced by .ci/run (bash, set -euo pipefail). Installs Stripe's official Python SDK and
# localstripe into a venv, starts localstripe on port 8420 when nothing answers there, and exports
# the variables the commerce-stripe tests read. Quick when everything is already in place.

stripe_cache="$HOME/.cache/commerce"
stripe_venv="$stripe_cache/venv-stripe"
stripe_port="${COMMERCE_STRIPE_PORT:-8420}"
mkdir -p "$stripe_cache"

if ! "$stripe_venv/bin/python" -c 'import stripe, localstripe, sys; sys.exit(0 if stripe.VERSION == "16.1.0" else 1)' \
  >/dev/null 2>&1; then
  echo "setup-stripe: installing stripe==16.1.0 localstripe==1.15.10 into $stripe_venv"
  python3 -m venv "$stripe_venv"
  "$stripe_venv/bin/pip" install --quiet --disable-pip-version-check stripe==16.1.0 localstripe==1.15.10
fi

# Whether an HTTP server answers on the port (any status counts; localstripe says 200 here).
stripe_up() {
  "$stripe_venv/bin/python" - "$stripe_port" <<'PY' >/dev/null 2>&1
import sys, urllib.error, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/v1/balance",
                             headers={"Authorization": "Bearer sk_test_ci_probe"})
try:
    urllib.request.urlopen(req, timeout=2)
except urllib.error.HTTPError:
    pass
PY
}

if ! stripe_up; then
  echo "setup-stripe: starting localstripe on port $stripe_port (log: $stripe_cache/localstripe.log)"
  nohup "$stripe_venv/bin/localstripe" --port "$stripe_port" --from-scratch \
    >>"$stripe_cache/localstripe.log" 2>&1 </dev/null &
  stripe_ready=0
  for _ in $(seq 1 60); do
    if stripe_up; then stripe_ready=1; break; fi
    sleep 0.5
  done
  if [ "$stripe_ready" != 1 ]; then
    echo "setup-stripe: localstripe did not answer on port $stripe_port; last log lines:" >&2
    tail -n 30 "$stripe_cache/localstripe.log" >&2 || true
    return 1 2>/dev/null || exit 1
  fi
fi

export COMMERCE_STRIPE_PYTHON="$stripe_venv/bin/python"
export COMMERCE_TEST_STRIPE_URL="http://127.0.0.1:$stripe_port"
echo "setup-stripe: COMMERCE_STRIPE_PYTHON=$COMMERCE_STRIPE_PYTHON COMMERCE_TEST_STRIPE_URL=$COMMERCE_TEST_STRIPE_URL"
unset stripe_cache stripe_venv stripe_port stripe_ready
unset -f stripe_up
