"""Verify a PausePoint webhook (Standard Webhooks) with the standard library only.

usage: verify_webhook.py SECRET WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE < body"""
import base64, hashlib, hmac, sys, time


def verify(secret: str, msg_id: str, timestamp: str, signatures: str, body: bytes) -> bool:
    if abs(time.time() - int(timestamp)) > 300:
        return False  # too old or from the future: a replay
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(sig.split(",", 1)[1], expected)
        for sig in signatures.split(" ")
        if sig.startswith("v1,")
    )


if __name__ == "__main__":
    secret, msg_id, ts, sigs = sys.argv[1:5]
    ok = verify(secret, msg_id, ts, sigs, sys.stdin.buffer.read())
    print("valid" if ok else "invalid")
    sys.exit(0 if ok else 1)
