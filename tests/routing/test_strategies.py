"""Load balancing over real HTTP: weights, order tiers, rpm limits, latency, busyness."""
import concurrent.futures
import time

from tests.clock import clear_of_minute_end
from tests.routing.scenarios import chat, openai_deployment, served_by


def test_simple_shuffle_follows_the_weights(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "heavy", weight=3),
                             openai_deployment(upstream, "gpt-4.1", "light", weight=1)]}
    gateway = start_gateway(config)

    for _ in range(400):
        assert chat(gateway, "gpt-4.1").status_code == 200

    share = served_by(upstream).count("heavy") / 400
    assert 0.68 <= share <= 0.82  # 0.75 expected; bounds are > 3 standard deviations


def test_simple_shuffle_weighs_by_rpm_when_no_weight_is_set(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "big", rpm=900),
                             openai_deployment(upstream, "gpt-4.1", "small", rpm=100)]}
    gateway = start_gateway(config)

    for _ in range(200):
        chat(gateway, "gpt-4.1")

    assert served_by(upstream).count("big") >= 160


def test_lower_order_is_preferred_until_it_is_unavailable(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "primary", order=1),
                             openai_deployment(upstream, "gpt-4.1", "backup", order=2)],
              "router_settings": {"num_retries": 2, "cooldown_time": 60}}
    gateway = start_gateway(config)

    for _ in range(10):
        chat(gateway, "gpt-4.1")
    assert set(served_by(upstream)) == {"primary"}

    upstream.set_behaviour("primary", kind="status", status=429)
    answers = [chat(gateway, "gpt-4.1") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert served_by(upstream)[-5:] == ["backup"] * 5


def test_a_deployment_at_its_rpm_is_skipped_and_a_full_group_gets_429(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "limited", rpm=3, order=1),
                             openai_deployment(upstream, "gpt-4.1", "spare", rpm=2, order=2)]}
    gateway = start_gateway(config)
    clear_of_minute_end()

    answers = [chat(gateway, "gpt-4.1") for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert served_by(upstream) == ["limited"] * 3 + ["spare"] * 2
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
    assert answers[-1].json()["error"]["type"] == "rate_limit_error"


def test_latency_based_routing_prefers_the_fast_deployment(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "slowpoke"),
                             openai_deployment(upstream, "gpt-4.1", "speedy")],
              "router_settings": {"routing_strategy": "latency-based-routing"}}
    gateway = start_gateway(config)
    upstream.set_behaviour("slowpoke", kind="slow", delay=0.15)

    for _ in range(40):
        chat(gateway, "gpt-4.1")

    late = served_by(upstream)[10:]
    assert late.count("speedy") >= 0.75 * len(late)
    assert late.count("slowpoke") >= 1 or served_by(upstream)[:10].count("slowpoke") >= 1  # explored


def test_least_busy_avoids_the_deployment_with_requests_in_flight(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "stuck"),
                             openai_deployment(upstream, "gpt-4.1", "free")],
              "router_settings": {"routing_strategy": "least-busy"}}
    gateway = start_gateway(config)
    upstream.set_behaviour("stuck", kind="slow", delay=5)
    upstream.set_behaviour("free", kind="slow", delay=0.05)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        # Until one request is in flight on "stuck" (two idle deployments tie, so it may take a few).
        for _ in range(8):
            pool.submit(chat, gateway, "gpt-4.1")
            time.sleep(0.2)
            if "stuck" in served_by(upstream):
                break
        assert "stuck" in served_by(upstream)
        time.sleep(1)  # the pool's other requests (on "free", 0.05 s each) are answered; "stuck" is still busy
        sent_before = len(served_by(upstream))
        later = [chat(gateway, "gpt-4.1") for _ in range(10)]

    assert all(a.status_code == 200 for a in later)
    assert served_by(upstream)[sent_before:] == ["free"] * 10


def test_usage_based_routing_prefers_headroom(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "tight", tpm=40),
                             openai_deployment(upstream, "gpt-4.1", "roomy", tpm=100000)],
              "router_settings": {"routing_strategy": "usage-based-routing-v2"}}
    gateway = start_gateway(config)

    for _ in range(10):
        chat(gateway, "gpt-4.1")

    assert served_by(upstream).count("roomy") >= 9
