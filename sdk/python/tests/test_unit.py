"""Pure parts of the SDK, without the service: webhook signatures (the Standard Webhooks
test vector), the error mapping of any response, Retry-After parsing, retries."""

import json
import time

import httpx
import pytest

import pausepoint
from pausepoint import PausePoint, webhooks
from pausepoint._client import _retry_after

# The test vector published with the Standard Webhooks specification.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TS = 1614265330
BODY = b'{"test": 2432232314}'
SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_standard_webhooks_vector():
    assert webhooks.sign(BODY, MSG_ID, TS, SECRET) == SIG
    headers = {"Webhook-Id": MSG_ID, "Webhook-Timestamp": str(TS), "Webhook-Signature": f"v1,bm90IGl0 {SIG}"}
    event = webhooks.verify(BODY, headers, SECRET, now=TS + 10)
    assert event.id == MSG_ID and event.raw == {"test": 2432232314}
    assert webhooks.verify(BODY.decode(), list(headers.items()), ["whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", SECRET], now=TS).id == MSG_ID


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h, b: (dict(h, **{"webhook-signature": "v1,AAAA"}), b),
        lambda h, b: (h, b + b" "),
        lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b),
        lambda h, b: (dict(h, **{"webhook-timestamp": "soon"}), b),
        lambda h, b: (dict(h, **{"webhook-timestamp": str(TS - 301)}), b),
        lambda h, b: (dict(h, **{"webhook-signature": SIG.replace("v1,", "v2,")}), b),
    ],
)
def test_webhook_refusals(mutate):
    headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(TS), "webhook-signature": SIG}
    h, b = mutate(headers, BODY)
    with pytest.raises(pausepoint.WebhookVerificationError):
        webhooks.verify(b, h, SECRET, now=TS)


def test_bad_secret_is_a_verification_error():
    with pytest.raises(pausepoint.WebhookVerificationError):
        webhooks.verify(BODY, {"webhook-id": MSG_ID, "webhook-timestamp": str(TS), "webhook-signature": SIG}, "whsec_!!", now=TS)


def test_retry_after_forms():
    assert _retry_after({"retry-after": "3"}) == 3.0
    assert _retry_after({"retry-after": "0.5"}) == 0.5
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= _retry_after({"retry-after": future}) <= 31
    assert _retry_after({"retry-after": "soon"}) is None and _retry_after({}) is None


def _client(responses, seen, **kw):
    def handler(req):
        seen.append(req)
        return responses.pop(0)

    return PausePoint("pp_test_x", base_url="http://127.0.0.1:9", http_client=httpx.Client(transport=httpx.MockTransport(handler)), **kw)


def test_any_error_response_maps_to_an_exception():
    seen = []
    c = _client([
        httpx.Response(418, json={"error": {"code": "teapot", "message": "No.", "param": "x", "request_id": "req_1", "type": "invalid_request_error", "extra": 1}}),
        httpx.Response(502, text="<html>bad gateway</html>", headers={"Request-Id": "req_2"}),
        httpx.Response(405, json={"error": {"code": "method_not_allowed", "message": "Use GET.", "param": None, "request_id": "req_3"}}, headers={"Allow": "GET"}),
    ], seen, max_retries=0)
    with pytest.raises(pausepoint.APIStatusError) as e:
        c.account.retrieve()
    assert (e.value.status, e.value.code, e.value.param, e.value.request_id) == (418, "teapot", "x", "req_1")
    with pytest.raises(pausepoint.InternalServerError) as e:
        c.account.retrieve()
    assert e.value.status == 502 and e.value.code is None and e.value.request_id == "req_2"
    with pytest.raises(pausepoint.BadRequestError) as e:
        c.account.retrieve()
    assert e.value.code == "method_not_allowed" and e.value.headers["allow"] == "GET"


def test_create_retries_with_one_idempotency_key_and_honours_retry_after():
    seen = []
    ok = httpx.Response(201, json={"object": "pause", "pause_id": "pause_1", "status": "pending", "future_field": 7})
    c = _client([httpx.Response(503, headers={"Retry-After": "0.2"}), httpx.Response(429, headers={"Retry-After": "0.2"}), ok], seen)
    t = time.monotonic()
    p = c.pauses.create(recipient="+13128471928", message="Go?", options=["Yes", "No"])
    assert time.monotonic() - t >= 0.4
    assert p.pause_id == "pause_1" and p.raw["future_field"] == 7
    keys = {r.headers["idempotency-key"] for r in seen}
    assert len(seen) == 3 and len(keys) == 1


def test_a_retry_after_longer_than_the_limit_is_not_waited_for():
    seen = []
    c = _client([httpx.Response(429, headers={"Retry-After": "3600"})], seen)
    t = time.monotonic()
    with pytest.raises(pausepoint.RateLimitError):
        c.account.retrieve()
    assert time.monotonic() - t < 1 and len(seen) == 1


def test_no_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("PAUSEPOINT_API_KEY", raising=False)
    with pytest.raises(pausepoint.PausePointError, match="PAUSEPOINT_API_KEY"):
        PausePoint()


def test_wait_backs_off_when_long_polls_are_not_held():
    seen = []
    pending = {"object": "pause", "pause_id": "pause_1", "status": "pending"}
    done = dict(pending, status="responded", response_choice="Approve")
    c = _client([httpx.Response(200, json=pending), httpx.Response(200, json=pending), httpx.Response(200, json=done)], seen)
    t = time.monotonic()
    assert c.pauses.wait("pause_1").choice == "Approve"
    assert len(seen) == 3 and time.monotonic() - t >= (0.5 + 1.0) * 0.75
    assert all(r.url.params["wait"] == "50" for r in seen)


def test_wait_honours_the_whole_retry_after_of_a_429():
    seen = []
    done = {"object": "pause", "pause_id": "pause_1", "status": "responded", "response_choice": "No"}
    c = _client([httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, json=done)], seen)
    t = time.monotonic()
    assert c.pauses.wait("pause_1", timeout=30).choice == "No"
    assert time.monotonic() - t >= 0.95 and len(seen) == 2


def test_create_sends_approvers_rule_and_action_and_reads_votes():
    seen = []
    decided = {
        "object": "pause", "pause_id": "pause_2", "status": "responded", "responded_by": "approvers",
        "response_choice": "Approve", "rule": {"type": "quorum", "count": 2, "veto": ["Reject"]},
        "votes": [{"approver": "dana", "name": "Dana", "choice": "Approve", "comment": None,
                   "at": "2026-11-29T14:02:00.000Z", "via": "page"}],
        "approvers": [{"id": "dana", "name": "Dana", "channel": "sms", "recipient": "+13128471928",
                       "level": 0, "voted": True, "delivery": {"status": "sent", "history": []}}],
        "receipt": "h.p.s", "action_sha256": "ab" * 32,
    }
    c = _client([httpx.Response(201, json=decided)], seen)
    approvers = [{"id": "dana", "name": "Dana", "channel": "sms", "recipient": "+13128471928"},
                 {"name": "Lee", "channel": "email", "recipient": "lee@example.com"}]
    p = c.pauses.create(message="Wire?", options=["Approve", "Reject"], approvers=approvers,
                        rule={"type": "quorum", "count": 2, "veto": ["Reject"]},
                        action={"name": "wire", "arguments": {"amount_cents": 840000}})
    body = json.loads(seen[0].content)
    assert "recipient" not in body and "channel" not in body
    assert body["approvers"] == approvers and body["rule"]["count"] == 2
    assert body["action"] == {"name": "wire", "arguments": {"amount_cents": 840000}}
    assert isinstance(p.votes[0], pausepoint.Vote) and p.votes[0].approver == "dana"
    assert isinstance(p.approvers[0], pausepoint.ApproverState) and p.approvers[0].voted is True
    assert p.responded_by == "approvers" and p.receipt == "h.p.s" and p.choice == "Approve"
