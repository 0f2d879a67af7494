"""spend/pricing.py: a deployment's per-token price, in LiteLLM's lookup order."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.config.loader import load_config
from gateway.config.schema import ModelEntry
from spend import pricing
from spend.pricing import Price, price_for, unpriced_deployments

PER_MILLION = Decimal(1_000_000)


@pytest.fixture(autouse=True)
def fresh_memo():
    pricing.reset()
    yield
    pricing.reset()


def deployment(model: str, model_info: dict | None = None, **params) -> ModelEntry:
    provider, _, provider_model = model.partition("/")
    return ModelEntry(index=0, model_name="group", model=model, provider=provider, provider_model=provider_model,
                      model_info=model_info or {}, params={"model": model, **params})


def per_million(price: Price) -> tuple:
    """A price as the providers publish it: USD per million tokens."""
    def scale(rate: Decimal | None) -> Decimal | None:
        return None if rate is None else rate * PER_MILLION

    return (scale(price.input_per_token), scale(price.output_per_token), scale(price.cache_read_per_token),
            scale(price.cache_write_per_token))


def test_a_deployment_without_overrides_is_priced_from_the_table_by_its_model():
    price = price_for(deployment("openai/gpt-4.1"))

    assert per_million(price) == (Decimal(2), Decimal(8), Decimal("0.5"), None)
    assert price.source == "price table: openai/gpt-4.1"


@pytest.mark.parametrize(("model", "input_rate", "output_rate"), [
    ("openai/gpt-4.1", "2", "8"),
    ("openai/gpt-4.1-mini", "0.4", "1.6"),
    ("openai/gpt-4.1-nano", "0.1", "0.4"),
    ("openai/gpt-4o", "2.5", "10"),
    ("openai/gpt-4o-mini", "0.15", "0.6"),
    ("openai/o3", "2", "8"),
    ("openai/o4-mini", "1.1", "4.4"),
    ("openai/o1", "15", "60"),
    ("openai/gpt-3.5-turbo", "0.5", "1.5"),
    ("openai/text-embedding-3-small", "0.02", "0"),
    ("openai/text-embedding-3-large", "0.13", "0"),
    ("openai/text-embedding-ada-002", "0.1", "0"),
    ("anthropic/claude-sonnet-4", "3", "15"),
    ("anthropic/claude-3-5-sonnet", "3", "15"),
    ("anthropic/claude-3-5-haiku", "0.8", "4"),
    ("anthropic/claude-opus-4", "15", "75"),
])
def test_common_models_have_their_published_prices(model, input_rate, output_rate):
    price = price_for(deployment(model))

    assert per_million(price)[:2] == (Decimal(input_rate), Decimal(output_rate))


def test_anthropic_models_carry_cache_read_and_write_prices():
    price = price_for(deployment("anthropic/claude-sonnet-4"))

    assert per_million(price) == (Decimal(3), Decimal(15), Decimal("0.3"), Decimal("3.75"))


def test_litellm_params_prices_beat_model_info_prices():
    entry = deployment("openai/gpt-4.1",
                       model_info={"input_cost_per_token": 0.000004, "output_cost_per_token": 0.00002},
                       input_cost_per_token=0.000001, output_cost_per_token=0.000003)

    price = price_for(entry)

    assert (price.input_per_token, price.output_per_token) == (Decimal("0.000001"), Decimal("0.000003"))
    assert price.source == "litellm_params + model_info over price table: openai/gpt-4.1"


def test_model_info_prices_beat_the_base_model():
    entry = deployment("azure/prod-deployment", model_info={"base_model": "azure/gpt-4o",
                                                            "input_cost_per_token": 0.000004,
                                                            "output_cost_per_token": 0.00002})

    price = price_for(entry)

    assert (price.input_per_token, price.output_per_token) == (Decimal("0.000004"), Decimal("0.00002"))
    assert price.source == "model_info over price table: azure/gpt-4o"


def test_the_base_model_beats_the_provider_model():
    entry = deployment("azure/gpt-4o-mini", model_info={"base_model": "azure/gpt-4o"})

    price = price_for(entry)

    assert per_million(price)[:2] == (Decimal("2.5"), Decimal(10))
    assert price.source == "price table: azure/gpt-4o"


def test_a_base_model_without_a_provider_prefix_resolves():
    assert price_for(deployment("azure/prod", model_info={"base_model": "gpt-4o"})).input_per_token == \
        Decimal("2.5") / PER_MILLION


def test_an_unknown_base_model_falls_back_to_the_provider_model():
    entry = deployment("openai/gpt-4.1-mini", model_info={"base_model": "no-such-model"})

    assert price_for(entry).source == "price table: openai/gpt-4.1-mini"


def test_an_azure_deployment_named_after_a_real_model_is_priced_as_that_model():
    assert price_for(deployment("azure/gpt-4.1")).source == "price table: azure/gpt-4.1"


@pytest.mark.parametrize(("model", "priced_as"), [
    ("openai/gpt-4o-2024-08-06", "gpt-4o"),
    ("openai/gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
    ("anthropic/claude-sonnet-4-20250514", "claude-sonnet-4-0"),
    ("openai/gpt-4.1-nano-2031-01-01", "gpt-4.1-nano"),  # a date the table has never seen
    ("openai/gpt-4.1-nano-20310101", "gpt-4.1-nano"),
])
def test_dated_model_names_resolve_to_the_model(model, priced_as):
    assert price_for(deployment(model)).source.endswith(f"/{priced_as}")


def test_a_partial_override_keeps_the_table_price_for_the_rest():
    price = price_for(deployment("openai/gpt-4.1", input_cost_per_token="0.000001"))

    assert per_million(price) == (Decimal(1), Decimal(8), Decimal("0.5"), None)
    assert price.source == "litellm_params over price table: openai/gpt-4.1"


def test_cache_prices_can_be_overridden():
    price = price_for(deployment("openai/gpt-4.1", cache_read_input_token_cost=0.0000001,
                                 cache_creation_input_token_cost=0.000003))

    assert (price.cache_read_per_token, price.cache_write_per_token) == (Decimal("1E-7"), Decimal("0.000003"))


def test_an_override_on_an_unknown_model_leaves_the_prices_it_omits_at_zero():
    price = price_for(deployment("openai/in-house-model", input_cost_per_token=0.000001))

    assert price == Price(Decimal("0.000001"), Decimal(0), None, None, source="litellm_params")


def test_a_price_override_that_is_not_a_number_is_ignored():
    entry = deployment("openai/gpt-4.1", model_info={"input_cost_per_token": "cheap", "output_cost_per_token": True})

    assert price_for(entry).source == "price table: openai/gpt-4.1"


def test_an_unknown_model_has_no_price():
    assert price_for(deployment("openai/in-house-model")) is None
    assert price_for(deployment("azure/my-prod-deployment")) is None


def test_a_model_priced_per_audio_hour_has_no_token_price():
    assert price_for(deployment("openai/whisper-1")) is None


def test_a_mock_deployment_costs_nothing():
    assert price_for(deployment("mock/echo")) == Price(Decimal(0), Decimal(0), Decimal(0), Decimal(0), source="mock")


def test_a_mock_deployment_with_a_price_override_uses_it():
    price = price_for(deployment("mock/echo", output_cost_per_token=0.00001))

    assert (price.input_per_token, price.output_per_token) == (Decimal(0), Decimal("0.00001"))
    assert price.source == "litellm_params over mock"


def test_a_mock_deployment_with_a_base_model_is_priced_as_that_model():
    entry = deployment("mock/echo", model_info={"base_model": "gpt-4o"})

    assert price_for(entry).source == "price table: openai/gpt-4o"


def test_prices_from_a_yaml_config_are_exact_decimals(tmp_path: Path):
    path = tmp_path / "litellm_config.yaml"
    path.write_text(textwrap.dedent("""\
        model_list:
          - model_name: gpt-4o
            litellm_params:
              model: azure/prod-4o
              api_base: https://example-resource.openai.azure.com
              api_key: sk-test
              api_version: "2024-10-21"
              input_cost_per_token: 0.0000025
            model_info: {base_model: azure/gpt-4o, output_cost_per_token: 0.00001}
    """), encoding="utf-8")
    [entry] = load_config(path).model_list

    price = price_for(entry)

    assert per_million(price) == (Decimal("2.5"), Decimal(10), Decimal("1.25"), None)


def test_unpriced_deployments_lists_only_the_entries_without_a_price():
    priced, unknown, mock = deployment("openai/gpt-4o"), deployment("azure/my-prod-deployment"), deployment("mock/echo")

    assert unpriced_deployments([priced, unknown, mock]) == [unknown]


def test_a_price_is_memoized_per_entry_until_reset():
    entry = deployment("openai/gpt-4o")
    first = price_for(entry)

    assert price_for(entry) is first
    pricing.reset()
    assert price_for(entry) == first and price_for(entry) is not first


def test_equal_entries_are_priced_separately():
    plain, overridden = deployment("openai/gpt-4o"), deployment("openai/gpt-4o", input_cost_per_token=0)

    assert price_for(plain).input_per_token > 0
    assert price_for(overridden).input_per_token == 0


def test_the_price_table_loads_and_prices_with_no_network_access():
    # A fresh interpreter in which any socket use raises: importing the package and
    # pricing models must not try to reach anything.
    script = textwrap.dedent("""\
        import sys

        def no_network(event, args):
            if event.startswith("socket."):
                raise RuntimeError(f"network used: {event}")

        sys.addaudithook(no_network)
        from gateway.config.schema import ModelEntry
        from spend.pricing import price_for

        for model in ("gpt-4.1", "gpt-4o-2024-08-06", "no-such-model"):
            entry = ModelEntry(index=0, model_name=model, model="openai/" + model, provider="openai",
                               provider_model=model)
            print(price_for(entry) is not None)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "False"]
