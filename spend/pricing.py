"""Per-token prices for a deployment, looked up in LiteLLM's order.

Order, per price field: `litellm_params` > `model_info` > the price table entry for
`model_info.base_model` > (`mock/` deployments: zero) > the table entry for the
provider model (for azure, the deployment name, often a real model name).
No price at all gives None; the caller then records cost 0, as LiteLLM does.

The price table is the data bundled in the pinned `genai-prices` wheel. It is read
from the installed package only: this module never starts the package's
`UpdatePrices` (the one thing in it that touches the network), and it builds its
own snapshot instead of the package's global one, so prices cannot change under a
running process because another library started an updater.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from gateway.config.schema import ModelEntry

if TYPE_CHECKING:
    from genai_prices.data_snapshot import DataSnapshot
    from genai_prices.types import ModelInfo, ModelPrice

ZERO = Decimal(0)
PER_MILLION = Decimal(1_000_000)

# The keys LiteLLM reads from litellm_params and model_info, and the Price field each sets.
OVERRIDE_KEYS = {
    "input_cost_per_token": "input_per_token",
    "output_cost_per_token": "output_per_token",
    "cache_read_input_token_cost": "cache_read_per_token",
    "cache_creation_input_token_cost": "cache_write_per_token",
}
# LiteLLM provider names whose genai-prices id differs and that the package's own
# provider matching does not catch (it already maps bedrock, vertex_ai, gemini, xai...).
PROVIDER_IDS = {
    "azure_ai": "azure",
    "fireworks_ai": "fireworks",
    "text-completion-openai": "openai",
}
# "-2024-08-06", "-20240806" or Vertex's "@20240806" at the end of a model name.
DATE_SUFFIX = re.compile(r"[-@](?:\d{4}-\d{2}-\d{2}|\d{8})$")


@dataclass(frozen=True, slots=True)
class Price:
    """USD per token. A cache price of None means "same as input"."""

    input_per_token: Decimal
    output_per_token: Decimal
    cache_read_per_token: Decimal | None
    cache_write_per_token: Decimal | None
    source: str  # where it came from: "litellm_params", "price table: openai/gpt-4.1"...


MOCK_PRICE = Price(ZERO, ZERO, ZERO, ZERO, source="mock")

MAX_MEMOIZED_ENTRIES = 4096
# Module caches, owned here; reset() empties them (tests, config reload).
# Entries are unhashable (they hold dicts), so they are keyed by id(); the entry is
# kept in the value, which both pins the id and lets a lookup confirm it.
_by_entry: dict[int, tuple[ModelEntry, Price | None]] = {}
_by_name: dict[tuple[str | None, str], Price | None] = {}
_table: DataSnapshot | None = None


def price_for(entry: ModelEntry) -> Price | None:
    """The deployment's price, or None when nothing prices it. Hot path: after the
    first call for an entry this is one dict lookup."""
    memo = _by_entry.get(id(entry))
    if memo is not None and memo[0] is entry:
        return memo[1]
    price = _resolve(entry)
    if len(_by_entry) >= MAX_MEMOIZED_ENTRIES:
        _by_entry.clear()  # wildcard routes make entries per model name clients use
    _by_entry[id(entry)] = (entry, price)
    return price


def unpriced_deployments(entries: Iterable[ModelEntry]) -> list[ModelEntry]:
    """Entries whose calls would be recorded at cost 0 for want of a price."""
    return [entry for entry in entries if price_for(entry) is None]


def reset() -> None:
    """Forget every memoized price and the loaded table."""
    global _table
    _by_entry.clear()
    _by_name.clear()
    _table = None


def _resolve(entry: ModelEntry) -> Price | None:
    base = _base_price(entry)
    from_info = _overrides(entry.model_info)
    from_params = _overrides(entry.params)
    if not from_info and not from_params:
        return base
    layers = [name for name, found in (("litellm_params", from_params), ("model_info", from_info)) if found]
    source = " + ".join(layers)
    if base is None:
        # An override that names only some prices leaves the others at zero, as in LiteLLM.
        base = Price(ZERO, ZERO, None, None, source="")
    else:
        source = f"{source} over {base.source}"
    return replace(base, **{**from_info, **from_params}, source=source)


def _base_price(entry: ModelEntry) -> Price | None:
    base_model = entry.model_info.get("base_model")
    if isinstance(base_model, str) and base_model:
        price = _price_of_name(base_model, entry.provider)
        if price is not None:
            return price
    if entry.provider == "mock":
        return MOCK_PRICE
    return _table_price(entry.provider, entry.provider_model)


def _overrides(values: dict) -> dict[str, Decimal]:
    found = {}
    for key, field_name in OVERRIDE_KEYS.items():
        amount = _decimal(values.get(key))
        if amount is not None:
            found[field_name] = amount
    return found


def _decimal(value: Any) -> Decimal | None:
    """A non-negative amount from YAML (float, int or string), else None. Floats go
    through str() so 0.0000025 becomes Decimal("0.0000025"), not its binary value."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _price_of_name(name: str, default_provider: str) -> Price | None:
    """A name as written in `base_model`: "azure/gpt-4o" or bare "gpt-4o"."""
    provider, slash, model = name.partition("/")
    if slash and provider and model:
        price = _table_price(provider, model)
        if price is not None:
            return price
    return _table_price(default_provider, name)


def _table_price(provider: str | None, model: str) -> Price | None:
    key = (provider, model)
    if key not in _by_name:
        _by_name[key] = _look_up(provider, model)
    return _by_name[key]


def _look_up(provider: str | None, model: str) -> Price | None:
    table = _load_table()
    names = [model]
    undated = DATE_SUFFIX.sub("", model)
    if undated != model:
        names.append(undated)
    provider_id = PROVIDER_IDS.get(provider, provider) if provider else None
    # The provider's own price first; then any provider whose models match the name
    # (an openai-compatible deployment of "deepseek-chat", a mock with "gpt-4o").
    for candidate_provider in dict.fromkeys((provider_id, None)):
        for name in names:
            try:
                found_provider, model_info = table.find_provider_model(name, None, candidate_provider, None)
            except LookupError:
                continue
            return _price_from_table(model_info, f"price table: {found_provider.id}/{model_info.id}")
    return None


def _load_table() -> DataSnapshot:
    global _table
    if _table is None:
        # Imported here, not at module level: the bundled data is a 1.6 MB module.
        from genai_prices.data import providers
        from genai_prices.data_snapshot import DataSnapshot

        _table = DataSnapshot(providers=providers, from_auto_update=False)
    return _table


def _price_from_table(model_info: ModelInfo, source: str) -> Price | None:
    prices = _list_prices(model_info)
    input_rate = _per_token(prices.input_mtok)
    if input_rate is None:
        return None  # priced per audio hour, per page...: not something a token count can pay for
    return Price(
        input_per_token=input_rate,
        output_per_token=_per_token(prices.output_mtok) or ZERO,  # embeddings have no output price
        cache_read_per_token=_per_token(prices.cache_read_mtok),
        cache_write_per_token=_per_token(prices.cache_write_mtok),
        source=source,
    )


def _list_prices(model_info: ModelInfo) -> ModelPrice:
    """The one flat rate LiteLLM would charge. Price changes by date: the one in force
    now (a later change needs reset(), e.g. a restart). Time-of-day windows: the
    highest rate, because a memoized price cannot follow the clock and a budget
    reservation should not come up short."""
    from genai_prices.types import ModelPrice, TimeOfDateConstraint

    if isinstance(model_info.prices, ModelPrice):
        return model_info.prices
    now = datetime.now(tz=UTC)
    dated = [item for item in model_info.prices if not isinstance(item.constraint, TimeOfDateConstraint)]
    in_force = next((item.prices for item in reversed(dated)
                     if item.constraint is None or item.constraint.active(now)), model_info.prices[0].prices)
    windows = [item.prices for item in model_info.prices if isinstance(item.constraint, TimeOfDateConstraint)]
    return max([in_force, *windows], key=lambda prices: _per_token(prices.input_mtok) or ZERO)


def _per_token(per_million: Any) -> Decimal | None:
    """genai-prices quotes USD per million tokens, sometimes tiered by prompt size;
    LiteLLM's flat rate is the base tier."""
    if per_million is None:
        return None
    per_million = getattr(per_million, "base", per_million)
    return per_million / PER_MILLION
