#!/usr/bin/env bash
# Create a pause, then long-poll: each GET waits up to 55 s for the answer.
set -euo pipefail
URL="${PAUSEPOINT_URL:-http://127.0.0.1:8787}"
KEY="${PAUSEPOINT_API_KEY:-$(cat .wrangler/dev-api-key)}"
ID=$(curl -fsS -X POST "$URL/v1/pause" -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d '{"recipient":"+1 (312) 847-1928","message":"Deploy v2.4 to production?","options":["Deploy","Hold"],"timeout_hours":1,"timeout_default":"Hold"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["pause_id"])')
echo "created $ID"
while :; do
  P=$(curl -fsS "$URL/v1/pause/$ID?wait=55" -H "Authorization: Bearer $KEY")
  echo "$P" | grep -q '"status":"pending"' || break
done
echo "$P" | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p["status"], p["response_choice"], p["responded_by"])'
