"""spend/cost.py: usage times price in exact Decimal, and the estimate a budget reserves."""
from __future__ import annotations

from decimal import Decimal

import orjson

from spend.cost import DEFAULT_COMPLETION_TOKENS, TokenUsage, cost_of, estimate_cost, usage_from_openai
from spend.pricing import Price

# Round numbers so every expected cost can be checked by hand.
PRICE = Price(input_per_token=Decimal("0.000002"), output_per_token=Decimal("0.000008"),
              cache_read_per_token=Decimal("0.0000005"), cache_write_per_token=Decimal("0.0000025"),
              source="test")
NO_CACHE_PRICE = Price(Decimal("0.000002"), Decimal("0.000008"), None, None, source="test")
CHAT = "chat/completions"
EMBEDDINGS = "embeddings"


def test_cost_without_cache_is_prompt_at_the_input_price_plus_completion_at_the_output_price():
    assert cost_of(TokenUsage(prompt_tokens=1000, completion_tokens=500), PRICE) == Decimal("0.006")


def test_cached_tokens_are_charged_at_the_cache_read_price_exactly():
    cost = cost_of(TokenUsage(prompt_tokens=1000, completion_tokens=500, cached_tokens=400), PRICE)

    # 600 × 0.000002 + 400 × 0.0000005 + 500 × 0.000008
    assert cost == Decimal("0.0012") + Decimal("0.0002") + Decimal("0.004")
    assert cost == Decimal("0.0054")


def test_cache_writes_are_charged_at_the_cache_write_price():
    cost = cost_of(TokenUsage(prompt_tokens=1000, completion_tokens=0, cached_tokens=100, cache_write_tokens=800),
                   PRICE)

    # 100 × 0.000002 + 100 × 0.0000005 + 800 × 0.0000025
    assert cost == Decimal("0.00225")


def test_cache_tokens_cost_the_input_price_when_the_model_has_no_cache_price():
    usage = TokenUsage(prompt_tokens=1000, completion_tokens=500, cached_tokens=400, cache_write_tokens=100)

    assert cost_of(usage, NO_CACHE_PRICE) == cost_of(TokenUsage(1000, 500), NO_CACHE_PRICE)


def test_cost_is_exact_where_float_arithmetic_would_round():
    price = Price(Decimal("0.1"), Decimal("0.2"), None, None, source="test")

    cost = cost_of(TokenUsage(prompt_tokens=1, completion_tokens=1), price)

    assert isinstance(cost, Decimal)
    assert cost == Decimal("0.3")


def test_more_cached_than_prompt_tokens_never_makes_a_negative_part():
    assert cost_of(TokenUsage(prompt_tokens=10, completion_tokens=0, cached_tokens=20), PRICE) == \
        20 * PRICE.cache_read_per_token


def test_chat_completions_usage_is_read_with_its_cached_tokens():
    usage = usage_from_openai({"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
                               "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
                               "completion_tokens_details": {"reasoning_tokens": 128}})

    assert usage == TokenUsage(prompt_tokens=1200, completion_tokens=300, cached_tokens=1024)


def test_responses_api_usage_is_read_with_its_cached_tokens():
    usage = usage_from_openai({"input_tokens": 900, "output_tokens": 50, "total_tokens": 950,
                               "input_tokens_details": {"cached_tokens": 512},
                               "output_tokens_details": {"reasoning_tokens": 0}})

    assert usage == TokenUsage(prompt_tokens=900, completion_tokens=50, cached_tokens=512)


def test_embeddings_usage_has_no_completion_tokens():
    assert usage_from_openai({"prompt_tokens": 8, "total_tokens": 8}) == TokenUsage(8, 0)


def test_anthropic_cache_writes_reported_by_litellm_are_read():
    usage = usage_from_openai({"prompt_tokens": 4740, "completion_tokens": 255, "cache_creation_input_tokens": 4735,
                               "prompt_tokens_details": {"cached_tokens": 0}})

    assert usage == TokenUsage(prompt_tokens=4740, completion_tokens=255, cached_tokens=0, cache_write_tokens=4735)


def test_missing_or_unreadable_usage_gives_none_and_bad_counts_give_zero():
    assert usage_from_openai(None) is None
    assert usage_from_openai({}) is None
    assert usage_from_openai("12 tokens") is None
    assert usage_from_openai({"prompt_tokens": None, "completion_tokens": "7", "prompt_tokens_details": None}) == \
        TokenUsage(0, 0)


def test_the_estimate_uses_max_tokens_when_the_request_sets_it():
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 100}
    prompt_tokens = -(-len(orjson.dumps(body["messages"])) // 3)

    assert estimate_cost(body, PRICE, CHAT) == cost_of(TokenUsage(prompt_tokens, 100), PRICE)


def test_the_estimate_prefers_max_completion_tokens_to_max_tokens():
    body = {"messages": [], "max_completion_tokens": 50, "max_tokens": 100}

    assert estimate_cost(body, PRICE, CHAT) == cost_of(TokenUsage(1, 50), PRICE)  # "[]" is one token


def test_the_estimate_reserves_the_default_completion_when_no_limit_is_set():
    assert estimate_cost({"prompt": "Say hi"}, NO_CACHE_PRICE, "completions") == \
        cost_of(TokenUsage(3, DEFAULT_COMPLETION_TOKENS), NO_CACHE_PRICE)  # '"Say hi"' is 8 bytes


def test_the_estimate_counts_every_requested_choice():
    body = {"messages": [], "max_tokens": 10, "n": 3}

    assert estimate_cost(body, PRICE, CHAT) == cost_of(TokenUsage(1, 30), PRICE)


def test_an_embeddings_estimate_has_no_completion_part():
    body = {"model": "text-embedding-3-small", "input": ["first text", "second text"]}
    prompt_tokens = -(-len(orjson.dumps(body["input"])) // 3)

    assert estimate_cost(body, PRICE, EMBEDDINGS) == prompt_tokens * PRICE.input_per_token

