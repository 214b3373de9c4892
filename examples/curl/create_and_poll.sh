#!/usr/bin/env bash
# Create a pause, then poll every 2 seconds until it is no longer pending.
set -euo pipefail
URL="${PAUSEPOINT_URL:-http://127.0.0.1:8787}"
KEY="${PAUSEPOINT_API_KEY:-$(cat .wrangler/dev-api-key)}"
ID=$(curl -fsS -X POST "$URL/v1/pause" -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d '{"recipient":"+1 (312) 847-1928","message":"Wire $8,400 to Meridian?","options":["Approve","Reject"],"timeout_hours":4,"timeout_default":"Reject"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["pause_id"])')
echo "created $ID"
while :; do
  P=$(curl -fsS "$URL/v1/pause/$ID" -H "Authorization: Bearer $KEY")
  STATUS=$(echo "$P" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  [ "$STATUS" != pending ] && break
  sleep 2
done
echo "$P" | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p["status"], p["response_choice"], p["responded_by"])'
