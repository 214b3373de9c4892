"""Verify a PausePoint decision receipt offline with `cryptography`, before executing the
action it approves.

usage: verify_receipt.py RECEIPT JWKS ACTION_JSON

RECEIPT: the pause's `receipt` (a compact JWS). JWKS: the service's
/.well-known/jwks.json, as a URL or a saved file. ACTION_JSON: the action you are about to
execute, {"name": ..., "arguments": ...}. Prints `valid <status> <choice>` or
`invalid: <why>` (and exits 1)."""
import base64, hashlib, json, sys, urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def b64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def es_number(x: float) -> str:
    """ECMAScript's Number#toString (RFC 8785 numbers) from Python's shortest repr."""
    if x == 0:
        return "0"
    mant, _, exp = repr(abs(x)).partition("e")
    whole, _, frac = mant.partition(".")
    digits = (whole + frac).strip("0")
    trailing = len(whole + frac) - len((whole + frac).rstrip("0"))
    k, n = len(digits), int(exp or 0) - len(frac) + trailing + len(digits)
    sign = "-" if x < 0 else ""
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = f"e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + e


def jcs(v) -> str:
    """RFC 8785 canonical JSON: keys sorted by UTF-16 code units, ES number format."""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v) if abs(v) <= 2**53 else es_number(float(v))
    if isinstance(v, float):
        return es_number(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
    return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(v[k]) for k in keys) + "}"


def verify_receipt(receipt: str, jwks: dict, action) -> dict:
    h, p, s = receipt.split(".")
    header = json.loads(b64url(h))
    jwk = next((k for k in jwks["keys"] if k["kid"] == header["kid"]), None)
    if header["alg"] != "EdDSA" or jwk is None:
        raise ValueError(f"unknown key {header['kid']}")
    key = Ed25519PublicKey.from_public_bytes(b64url(jwk["x"]))
    key.verify(b64url(s), f"{h}.{p}".encode())  # raises InvalidSignature
    payload = json.loads(b64url(p))
    if payload["action_sha256"] != hashlib.sha256(jcs(action).encode()).hexdigest():
        raise ValueError("the receipt approves another action")
    return payload  # also check payload["pause_id"] is the pause you asked about


if __name__ == "__main__":
    receipt, source, action = sys.argv[1:4]
    try:
        if source.startswith(("http://", "https://")):
            jwks = json.load(urllib.request.urlopen(source))
        else:
            jwks = json.load(open(source))
        decision = verify_receipt(receipt, jwks, json.loads(action))["decision"]
        print(f"valid {decision['status']} {decision['choice']}")
    except (InvalidSignature, ValueError, KeyError) as e:
        print(f"invalid: {type(e).__name__ if isinstance(e, InvalidSignature) else e}")
        sys.exit(1)
