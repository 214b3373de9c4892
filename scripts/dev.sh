#!/usr/bin/env bash
# Runs PausePoint locally: installs what is missing, applies the D1 migrations,
# starts `wrangler dev` on http://127.0.0.1:8787 and prints a local API key (also
# written to .wrangler/dev-api-key so scripts can read it).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8787}"
bash scripts/setup.sh
source scripts/toolchain-env.sh

rand() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
if [ ! -f .dev.vars ]; then
  cat > .dev.vars <<VARS
# Local secrets for wrangler dev (not committed).
PAUSEPOINT_MODE=local
TOKEN_SECRET=$(rand)
ADMIN_TOKEN=$(rand)
MIN_TIMEOUT_SECONDS=10
VARS
  echo "[dev] wrote .dev.vars with fresh local secrets"
fi
if ! grep -q '^RECEIPT_SIGNING_KEY=' .dev.vars; then
  # Once: the local receipt signing key (a private Ed25519 JWK; README "Signed receipts").
  echo "RECEIPT_SIGNING_KEY='$(node scripts/receipt-key.mjs)'" >> .dev.vars
  echo "[dev] added a local receipt signing key to .dev.vars"
fi
ADMIN_TOKEN=$(grep '^ADMIN_TOKEN=' .dev.vars | cut -d= -f2-)

bash scripts/build.sh
npx wrangler d1 migrations apply DB --local >/dev/null
npx wrangler dev --ip 127.0.0.1 --port "$PORT" --show-interactive-dev-session=false &
WRANGLER=$!
trap 'kill $WRANGLER 2>/dev/null || true' EXIT INT TERM

BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 120); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 $WRANGLER 2>/dev/null || { echo "[dev] wrangler dev exited" >&2; exit 1; }
  sleep 0.5
done

mkdir -p .wrangler
KEY_FILE=.wrangler/dev-api-key
if [ -f "$KEY_FILE" ] && curl -fsS -o /dev/null -H "Authorization: Bearer $(cat "$KEY_FILE")" "$BASE/v1/account"; then
  :
else
  curl -fsS -X POST "$BASE/admin/accounts" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'content-type: application/json' -d '{"name":"Local Developer","plan":"enterprise"}' \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const a=JSON.parse(s);require("fs").writeFileSync(".wrangler/dev-api-key",a.live_key);require("fs").writeFileSync(".wrangler/dev-test-api-key",a.test_key);require("fs").writeFileSync(".wrangler/dev-webhook-secret",a.webhook_secret);require("fs").writeFileSync(".wrangler/dev-test-webhook-secret",a.test_webhook_secret)})'
fi
SECRET_FILE=.wrangler/dev-webhook-secret
if [ ! -s "$SECRET_FILE" ]; then
  # An account made before webhooks: issue a secret we can show (the old one stops in 24 h).
  curl -fsS -X POST "$BASE/v1/webhook_secret/rotate" -H "Authorization: Bearer $(cat "$KEY_FILE")" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>require("fs").writeFileSync(".wrangler/dev-webhook-secret",JSON.parse(s).secret))'
fi
TEST_SECRET_FILE=.wrangler/dev-test-webhook-secret
if [ ! -s "$TEST_SECRET_FILE" ] && [ -s .wrangler/dev-test-api-key ]; then
  # An account made before test mode had its own secret: issue one with the test key.
  curl -fsS -X POST "$BASE/v1/webhook_secret/rotate" -H "Authorization: Bearer $(cat .wrangler/dev-test-api-key)" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>require("fs").writeFileSync(".wrangler/dev-test-webhook-secret",JSON.parse(s).secret))' || true
fi
cat <<MSG

  PausePoint is running at $BASE
  API key: $(cat "$KEY_FILE")   (also in $KEY_FILE)
  Webhook signing secret: $(cat "$SECRET_FILE")   (also in $SECRET_FILE; test mode's in $TEST_SECRET_FILE)
  Messages that would be sent: $BASE/dev/outbox

  curl -X POST $BASE/v1/pause -H "Authorization: Bearer \$(cat $KEY_FILE)" \\
       -H 'content-type: application/json' \\
       -d '{"recipient":"+1 (312) 847-1928","message":"Wire \$8,400 to Meridian?","options":["Approve","Reject"],"timeout_hours":4,"timeout_default":"Reject"}'

MSG
wait $WRANGLER
