"""Stored Responses over real HTTP cannot fill the shared state: turns are kept
under byte caps per turn, per key and in total (RESPONSES_MAX_*), a key past its
cap loses its own oldest turns, a full store refuses (never another key's turns,
never a counter), and mock_response turns are not kept."""
from __future__ import annotations

import os

import httpx
import pytest
import redis

from tests.conftest import MASTER_KEY
from tests.keys.helpers import MOCK_CONFIG, admin, generate_key

TURN = 40_000  # characters of input per turn: a turn keeps about 41 kB, with the answer
CAPS = {"RESPONSES_MAX_RECORD_BYTES": "100000", "RESPONSES_MAX_BYTES_PER_KEY": "150000",
        "RESPONSES_MAX_TOTAL_BYTES": "390000"}


@pytest.fixture(params=["redis", "memory"])
def gateway(request, start_gateway):
    env = dict(CAPS)
    if request.param == "memory" or not os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = ""
    else:
        # The total cap counts every stored turn in this Redis: start from an empty store.
        with redis.Redis.from_url(os.environ["REDIS_URL"]) as raw:
            stored = list(raw.scan_iter(match="gw:response:*")) + list(raw.scan_iter(match="gw:responses:*"))
            if stored:
                raw.delete(*stored)
    return start_gateway(MOCK_CONFIG, env=env)


def respond(gateway, key: str, text: str, previous: str | None = None, **extra) -> dict:
    body = {"model": "mock-gpt", "input": text, **extra}
    if previous:
        body["previous_response_id"] = previous
    answer = httpx.post(f"{gateway.url}/v1/responses", json=body, timeout=30,
                        headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def is_kept(gateway, key: str, response_id: str) -> bool:
    answer = admin(gateway, f"/v1/responses/{response_id}", key=key, method="GET")
    assert answer.status_code in (200, 404), answer.text
    return answer.status_code == 200


def test_a_conversation_too_large_to_keep_says_so_and_cannot_be_continued(gateway):
    key = generate_key(gateway)["key"]
    first = respond(gateway, key, "a" * TURN)
    second = respond(gateway, key, "b" * TURN, previous=first["id"])  # about 82 kB with the first turn
    third = respond(gateway, key, "c" * TURN, previous=second["id"])  # about 123 kB: over the 100 kB cap

    assert first["store"] is not False and second["store"] is not False
    assert third["store"] is False
    assert is_kept(gateway, key, second["id"]) and not is_kept(gateway, key, third["id"])
    refused = httpx.post(f"{gateway.url}/v1/responses", timeout=30, headers={"Authorization": f"Bearer {key}"},
                         json={"model": "mock-gpt", "input": "more", "previous_response_id": third["id"]})
    assert refused.status_code == 404 and refused.json()["error"]["param"] == "previous_response_id"


def test_a_key_past_its_cap_loses_its_own_oldest_turns(gateway):
    key = generate_key(gateway)["key"]
    ids = [respond(gateway, key, f"{index}" * TURN)["id"] for index in range(6)]  # 6 x 41 kB > 150 kB

    kept = [is_kept(gateway, key, response_id) for response_id in ids]
    assert kept[-3:] == [True, True, True]
    assert kept[:3] == [False, False, False]


def test_a_full_store_refuses_new_turns_but_keeps_other_keys_turns_and_counters(gateway):
    owners = [generate_key(gateway)["key"] for _ in range(3)]
    kept_ids = {owner: [respond(gateway, owner, f"{n}" * TURN)["id"] for n in range(3)] for owner in owners}
    # Each key keeps its 3 turns (about 124 kB of its 150 kB): about 373 kB of the 390 kB.
    late = generate_key(gateway, rpm_limit=3)["key"]

    answers = [respond(gateway, late, "z" * TURN) for _ in range(3)]

    assert [answer["store"] for answer in answers] == [False, False, False]
    assert all(is_kept(gateway, owner, response_id) for owner, ids in kept_ids.items() for response_id in ids)
    limited = httpx.post(f"{gateway.url}/v1/responses", json={"model": "mock-gpt", "input": "again"}, timeout=30,
                         headers={"Authorization": f"Bearer {late}"})
    assert limited.status_code == 429  # its rpm counter still counts in the shared state


def test_mock_response_turns_are_not_kept(gateway):
    key = MASTER_KEY  # mock_response is an admin's (or general_settings.allow_mock_response's)

    answer = respond(gateway, key, "hi", mock_response="canned " * 1000)

    assert answer["store"] is False
    assert not is_kept(gateway, key, answer["id"])
