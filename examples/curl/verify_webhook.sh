#!/usr/bin/env bash
# Verify a Standard Webhooks signature with openssl: verify_webhook.sh SECRET ID TIMESTAMP SIGNATURES < body
set -euo pipefail
SECRET="$1" ID="$2" TS="$3" SIGS="$4"
BODY=$(cat)
NOW=$(date +%s)
if (( NOW - TS > 300 || TS - NOW > 300 )); then echo invalid; exit 1; fi
KEY_HEX=$(printf '%s' "${SECRET#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \n')
EXPECTED=$(printf '%s' "$ID.$TS.$BODY" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY_HEX" -binary | base64)
for SIG in $SIGS; do
  if [ "${SIG#v1,}" = "$EXPECTED" ]; then echo valid; exit 0; fi
done
echo invalid; exit 1
