"""The Python SDK against the real service (wrangler dev on 127.0.0.1)."""

import asyncio
import time

import pytest
from conftest import answer, answer_later, seed

import pausepoint
from pausepoint import (
    ApprovalDenied,
    AsyncPausePoint,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PausePoint,
    UnprocessableEntityError,
    WaitTimeout,
    WebhookVerificationError,
    require_approval,
)


def test_create_then_wait_resolves_with_the_choice_in_one_long_poll(env, proxy):
    client = PausePoint(env["PAUSEPOINT_API_KEY"], base_url=proxy.url)
    pause = client.pauses.create(**seed())
    assert pause.status == "pending" and pause.pause_id.startswith("pause_")
    assert pause.options == ["Approve", "Reject"] and pause.delivery is not None
    answer_later(pause.pause_id, 0, delay=1.5)
    before = len(proxy.seen)
    t = time.monotonic()
    decided = pause.wait(timeout=60)
    assert decided.status == "responded" and decided.choice == "Approve"
    assert decided.responded_by == "recipient" and decided.responded_via == "page"
    assert time.monotonic() - t >= 1.0
    polls = proxy.seen[before:]
    assert len(polls) == 1, f"one long-poll, not a loop: {polls}"
    assert "wait=50" in polls[0][2]


def test_wait_resumes_across_dropped_connections_and_5xx(env, proxy):
    client = PausePoint(env["PAUSEPOINT_API_KEY"], base_url=proxy.url)
    pause = client.pauses.create(**seed())
    proxy.faults = ["drop", (503, 0), "drop"]
    answer_later(pause.pause_id, 1, delay=2.0)
    decided = pause.wait(timeout=60)
    assert decided.choice == "Reject"
    assert not proxy.faults


def test_wait_timeout_raises_with_the_pending_pause(client):
    pause = client.pauses.create(**seed())
    t = time.monotonic()
    with pytest.raises(WaitTimeout) as e:
        pause.wait(timeout=1.5)
    assert 1.4 <= time.monotonic() - t < 10
    assert e.value.pause.status == "pending" and e.value.pause.pause_id == pause.pause_id
    assert client.pauses.cancel(pause.pause_id).status == "cancelled"


def test_errors_map_to_exceptions_with_code_param_request_id(env, client):
    with pytest.raises(BadRequestError) as e:
        client.pauses.create(**seed(timeout_default="Maybe"))
    assert (e.value.status, e.value.code, e.value.param) == (400, "parameter_invalid", "timeout_default")
    assert e.value.request_id.startswith("req_") and "Maybe" in e.value.message

    with pytest.raises(BadRequestError) as e:
        client.pauses.create(**seed(timout_default="Reject"))
    assert (e.value.code, e.value.param) == ("parameter_unknown", "timout_default")

    with pytest.raises(NotFoundError) as e:
        client.pauses.retrieve("pause_0123456789abcdef01234567")
    assert e.value.code == "pause_not_found" and e.value.status == 404

    pause = client.pauses.create(**seed())
    client.pauses.delete(pause.pause_id)
    with pytest.raises(ConflictError) as e:
        client.pauses.cancel(pause.pause_id)
    assert e.value.code == "pause_not_pending"

    with pytest.raises(AuthenticationError) as e:
        PausePoint("pp_live_nope", base_url=env["PAUSEPOINT_BASE_URL"]).account.retrieve()
    assert e.value.status == 401 and e.value.code and e.value.request_id
    assert isinstance(e.value, pausepoint.PausePointError)


def test_idempotency_same_key_same_pause(client):
    a = client.pauses.create(**seed(), idempotency_key="sdk-idem-1")
    b = client.pauses.create(**seed(), idempotency_key="sdk-idem-1")
    assert a.pause_id == b.pause_id and not a.idempotent_replayed and b.idempotent_replayed
    with pytest.raises(UnprocessableEntityError) as e:
        client.pauses.create(**seed(message="Something else"), idempotency_key="sdk-idem-1")
    assert e.value.code == "idempotency_key_reused"


def test_retries_honour_retry_after_and_reuse_the_idempotency_key(env, proxy):
    client = PausePoint(env["PAUSEPOINT_API_KEY"], base_url=proxy.url)
    proxy.faults = [(503, 1), (429, 1)]
    pause = client.pauses.create(**seed())
    assert pause.status == "pending"
    seen = proxy.seen[-3:]
    assert [s[1] for s in seen] == ["POST"] * 3
    assert len({s[3] for s in seen}) == 1 and seen[0][3], "one Idempotency-Key for every attempt"
    gaps = [b[0] - a[0] for a, b in zip(seen, seen[1:])]
    assert all(g >= 0.95 for g in gaps), f"Retry-After: 1 honoured: {gaps}"
    assert len(client.pauses.list(limit=100).data) >= 1

    # Without Retry-After: exponential back-off, then the error once retries run out.
    client = PausePoint(env["PAUSEPOINT_API_KEY"], base_url=proxy.url, max_retries=2)
    proxy.faults = [(503, None)] * 3
    t = time.monotonic()
    with pytest.raises(InternalServerError) as e:
        client.account.retrieve()
    assert e.value.status == 503 and e.value.code == "injected"
    assert time.monotonic() - t >= 0.5 * 0.75 + 1.0 * 0.75

    # A request that is not idempotent is not sent again after a 503 (it may have run) ...
    proxy.faults = [(503, 0)]
    n = len(proxy.seen)
    with pytest.raises(InternalServerError):
        client.keys.create(mode="test")
    assert len(proxy.seen) - n == 1
    # ... but is after a 429, which refuses before running.
    proxy.faults = [(429, 0)]
    key = client.keys.create(mode="test")
    assert key.secret.startswith("pp_test_") and len(proxy.seen) - n == 3
    client.keys.revoke(key.id)


def test_every_other_operation_against_the_service(env, client):
    acct = client.account.retrieve()
    assert acct.account_id and acct.plan == "enterprise" and acct.limits.channels
    keys = client.keys.list()
    assert keys and all(k.secret is None for k in keys)
    made = client.keys.create(mode="live")
    rot = client.keys.rotate(made.id, grace_seconds=60)
    assert rot.new_key.secret.startswith("pp_live_") and rot.old_key.id == made.id
    assert client.keys.revoke(rot.new_key.id).active is False

    pause = client.pauses.create(**seed())
    page = client.pauses.list(status="pending", limit=5)
    assert any(p.pause_id == pause.pause_id for p in page.data)
    assert all(p._client is client for p in page.data)
    got = client.pauses.retrieve(pause.pause_id, wait=0)
    assert got.pause_id == pause.pause_id

    audit = client.audit.list(pause_id=pause.pause_id)
    assert audit.data and audit.data[0].type == "pause.created"
    ndjson = client.audit.export(format="ndjson", pause_id=pause.pause_id)
    assert '"pause.created"' in ndjson
    assert "pause.created" in client.audit.export(format="csv", pause_id=pause.pause_id)
    v = client.audit.verify(pause.pause_id)
    assert v.pause_id == pause.pause_id and isinstance(v.valid, bool)

    test_client = PausePoint(env["PAUSEPOINT_TEST_API_KEY"], base_url=env["PAUSEPOINT_BASE_URL"])
    tp = test_client.pauses.create(**seed())
    assert tp.livemode is False
    deadline = time.monotonic() + 15
    while not test_client.test.outbox(pause_id=tp.pause_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert test_client.test.outbox(pause_id=tp.pause_id)[0].link


def test_webhook_verify_on_a_real_delivery(env, client, receiver):
    pause = client.pauses.create(**seed(webhook_url=receiver.url))
    answer(pause.pause_id, 0)
    body, headers = receiver.wait_for(1)[0]
    event = pausepoint.webhooks.verify(body, headers, env["PAUSEPOINT_WEBHOOK_SECRET"])
    assert event.type == "pause.responded" and event.data.choice == "Approve"
    assert event.data.pause_id == pause.pause_id and event.id == headers["webhook-id"]

    with pytest.raises(WebhookVerificationError):
        pausepoint.webhooks.verify(body.replace(b"Approve", b"Reject"), headers, env["PAUSEPOINT_WEBHOOK_SECRET"])
    with pytest.raises(WebhookVerificationError):
        pausepoint.webhooks.verify(body, headers, "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB")
    with pytest.raises(WebhookVerificationError):
        pausepoint.webhooks.verify(body, headers, env["PAUSEPOINT_WEBHOOK_SECRET"], now=time.time() + 600)

    deadline = time.monotonic() + 15
    while (events := client.webhooks.list(pause.pause_id))[0].status == "pending" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert events[0].status == "succeeded" and events[0].attempts[0].status_code == 200
    replayed = client.webhooks.replay(pause.pause_id, events[0].event_id)
    assert replayed.event_id == events[0].event_id
    body2, headers2 = receiver.wait_for(2)[1]
    assert headers2["webhook-id"] == headers["webhook-id"]
    assert pausepoint.webhooks.verify(body2, headers2, env["PAUSEPOINT_WEBHOOK_SECRET"]).type == "pause.responded"


def test_require_approval_decorator(client):
    calls = []

    @require_approval(recipient="+13128471928", message="Wire ${amount} to {to}?", client=client, timeout=60)
    def transfer(amount, to, memo="invoice"):
        calls.append((amount, to))
        return f"sent {amount}"

    # The person sees the message and the arguments; approval runs the function.
    def approve_newest(index):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            pending = client.pauses.list(status="pending", limit=1).data
            if pending and pending[0].message == "Wire $8400 to Meridian?":
                assert pending[0].context == "transfer(amount=8400, to='Meridian', memo='invoice')"
                answer(pending[0].pause_id, index)
                return
            time.sleep(0.1)
        raise AssertionError("no pause from the decorator")

    import threading

    t = threading.Thread(target=approve_newest, args=(0,), daemon=True)
    t.start()
    assert transfer(8400, "Meridian") == "sent 8400"
    t.join()
    assert calls == [(8400, "Meridian")]

    t = threading.Thread(target=approve_newest, args=(1,), daemon=True)
    t.start()
    with pytest.raises(ApprovalDenied) as e:
        transfer(8400, "Meridian")
    t.join()
    assert e.value.pause.choice == "Reject" and calls == [(8400, "Meridian")]


def test_async_client_and_async_decorator(env):
    async def main():
        async with AsyncPausePoint(env["PAUSEPOINT_API_KEY"], base_url=env["PAUSEPOINT_BASE_URL"]) as client:
            pause = await client.pauses.create(**seed())
            answer_later(pause.pause_id, 1, delay=1.0)
            decided = await pause.wait(timeout=60)
            assert decided.choice == "Reject"
            with pytest.raises(BadRequestError) as e:
                await client.pauses.create(**seed(options=["Only"]))
            assert e.value.param == "options"

            @require_approval(recipient="+13128471928", message="Delete {name}?", client=client)
            async def delete(name):
                return f"deleted {name}"

            async def approve():
                while True:
                    page = await client.pauses.list(status="pending", limit=1)
                    if page.data and page.data[0].message == "Delete prod?":
                        await asyncio.to_thread(answer, page.data[0].pause_id, 0)
                        return
                    await asyncio.sleep(0.1)

            result, _ = await asyncio.gather(delete("prod"), asyncio.wait_for(approve(), 20))
            assert result == "deleted prod"

    asyncio.run(main())


def test_a_decided_pause_has_a_receipt_signed_by_a_listed_key(client):
    import base64
    import json as _json

    pause = client.pauses.create(**seed())
    assert pause.receipt is None and pause.votes == []
    answer(pause.pause_id, 0)
    decided = client.pauses.retrieve(pause.pause_id)
    assert decided.status == "responded" and [v.choice for v in decided.votes] == ["Approve"]
    header = decided.receipt.split(".")[0]
    kid = _json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    keys = client.receipts.keys()["keys"]
    assert kid in [k["kid"] for k in keys] and all("d" not in k for k in keys)
