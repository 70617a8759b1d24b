# Sourced by .ci/run (bash, set -euo pipefail). Installs the official Bakong KHQR SDK
# (npm bakong-khqr, pinned to 1.0.20) that the KHQR cross-check test
# (commerce-adapters/bakong/tests/khqr_sdk_crosscheck.rs) compares against, and exports
# COMMERCE_KHQR_SDK_DIR (the directory holding node_modules/bakong-khqr). Quick when installed.

khqr_sdk_dir="${COMMERCE_KHQR_SDK_DIR:-$HOME/.cache/commerce/bakong-khqr-sdk}"
khqr_sdk_version="1.0.20"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup-bakong-sdk: installing nodejs and npm"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

khqr_sdk_installed() {
  [ "$(cd "$khqr_sdk_dir" 2>/dev/null \
    && node -p 'require("bakong-khqr/package.json").version' 2>/dev/null)" = "$khqr_sdk_version" ]
}

if ! khqr_sdk_installed; then
  echo "setup-bakong-sdk: installing bakong-khqr@$khqr_sdk_version into $khqr_sdk_dir"
  mkdir -p "$khqr_sdk_dir"
  [ -f "$khqr_sdk_dir/package.json" ] \
    || printf '{"name": "commerce-khqr-sdk", "private": true}\n' >"$khqr_sdk_dir/package.json"
  (cd "$khqr_sdk_dir" && npm install --no-audit --no-fund --loglevel=error "bakong-khqr@$khqr_sdk_version")
  if ! khqr_sdk_installed; then
    echo "setup-bakong-sdk: bakong-khqr@$khqr_sdk_version did not install into $khqr_sdk_dir" >&2
    return 1 2>/dev/null || exit 1
  fi
fi

export COMMERCE_KHQR_SDK_DIR="$khqr_sdk_dir"
echo "setup-bakong-sdk: COMMERCE_KHQR_SDK_DIR=$COMMERCE_KHQR_SDK_DIR (bakong-khqr $khqr_sdk_version)"
unset -f khqr_sdk_installed
unset khqr_sdk_dir khqr_sdk_version
