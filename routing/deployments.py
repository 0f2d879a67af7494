"""Deployments (one `model_list` entry each) and the table of model groups.

A `model_name` with "*" is a wildcard route, as in LiteLLM: `openai/*` serves
any model name that matches, and "*" in its `litellm_params.model` is replaced
by what the "*" of the name matched (`model: "*"` alone sends the name as it
is, to the provider it names or LiteLLM would infer). Each name a client uses
becomes a model group of its own, made on first use and kept.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

from gateway.config import providers
from gateway.config.schema import GatewayConfig, ModelEntry, SkippedDeployment

# Distinct model names served through wildcards, kept in memory (least recently used go first).
MAX_WILDCARD_GROUPS = 1024


@dataclass(frozen=True, slots=True)
class Deployment:
    """One provider endpoint serving a model group. Holds the provider key: never log it."""

    id: str
    model_name: str
    entry: ModelEntry = field(repr=False)
    public_api_base: str = ""  # api_base without userinfo or query: safe to show

    @property
    def provider(self) -> str:
        return self.entry.provider


# Why a deployment cannot be served (an unknown provider, a missing api_base), or None.
ServingCheck = Callable[[Deployment], str | None]


def deployment_id(entry: ModelEntry) -> str:
    """`model_info.id` when given, else a hash of the parameters, so the id is
    the same on every instance and across restarts."""
    explicit = entry.model_info.get("id")
    if explicit:
        return str(explicit)
    identity = orjson.dumps({"model_name": entry.model_name, **entry.params}, option=orjson.OPT_SORT_KEYS,
                            default=str)
    return hashlib.sha256(identity).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class WildcardRoute:
    """The deployments of one wildcard `model_name`, and the names it matches."""

    pattern: str
    regex: re.Pattern
    templates: tuple[Deployment, ...]

    @classmethod
    def of(cls, pattern: str, templates: tuple[Deployment, ...]) -> WildcardRoute:
        regex = re.compile("(.*?)".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
        return cls(pattern, regex, templates)

    @property
    def specificity(self) -> int:
        """More literal characters first: `openai/gpt-4*` before `openai/*` before `*`."""
        return len(self.pattern.replace("*", ""))


@dataclass(frozen=True, slots=True)
class DeploymentTable:
    """Model groups by name, plus the aliases clients may use for them."""

    groups: dict[str, tuple[Deployment, ...]]
    aliases: dict[str, str]  # router_settings.model_group_alias
    hidden_aliases: frozenset[str] = frozenset()
    model_alias_map: dict[str, str] = field(default_factory=dict)  # litellm_settings, applied first
    by_id: dict[str, Deployment] = field(default_factory=dict)
    wildcards: tuple[WildcardRoute, ...] = ()
    provider_environ: dict = field(default_factory=dict, repr=False)
    check: ServingCheck | None = None
    skipped: tuple[SkippedDeployment, ...] = ()
    # Groups made from wildcards, by the name clients used, and their deployments by id; bounded.
    _made: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _made_by_id: dict = field(default_factory=dict, repr=False)

    def resolve(self, name: str) -> str | None:
        """The group a client-facing model name refers to, or None: as LiteLLM,
        litellm_settings.model_alias_map first, then router_settings.model_group_alias,
        then the wildcard routes."""
        name = self.model_alias_map.get(name, name)
        if name in self.groups:
            return name
        target = self.aliases.get(name)
        if target is not None and target in self.groups:
            return target
        name = target or name
        return name if self._wildcard_group(name) else None

    def deployments(self, group: str) -> tuple[Deployment, ...]:
        """The deployments of a group `resolve` returned."""
        found = self.groups.get(group)
        return found if found is not None else self._wildcard_group(group)

    def deployment(self, deployment_id: str) -> Deployment | None:
        found = self.by_id.get(deployment_id)
        return found if found is not None else self._made_by_id.get(deployment_id)

    def visible_names(self) -> list[str]:
        names = list(self.groups)
        names += [alias for alias in self.model_alias_map if alias not in names and self.resolve(alias)]
        names += [alias for alias, target in self.aliases.items()
                  if alias not in self.hidden_aliases and target in self.groups and alias not in names]
        names += [route.pattern for route in self.wildcards if route.pattern not in names]
        return names

    def _wildcard_group(self, name: str) -> tuple[Deployment, ...]:
        made = self._made.get(name)
        if made is not None:
            self._made.move_to_end(name)
            return made
        if "*" in name:  # a pattern as /v1/models lists it is not a model name
            return ()
        for route in self.wildcards:
            match = route.regex.fullmatch(name)
            if match is None:
                continue
            group = tuple(d for d in (self._concrete(template, name, match.groups()) for template in route.templates)
                          if d is not None)
            if group:
                self._made[name] = group
                self._made_by_id.update((d.id, d) for d in group)
                if len(self._made) > MAX_WILDCARD_GROUPS:
                    _, evicted = self._made.popitem(last=False)
                    for d in evicted:
                        self._made_by_id.pop(d.id, None)
                return group
        return ()

    def _concrete(self, template: Deployment, name: str, parts: tuple[str, ...]) -> Deployment | None:
        """The template's deployment for one model name, or None when that name
        leads to no provider the gateway serves."""
        entry = template.entry
        model = entry.model
        for part in parts:
            model = model.replace("*", part, 1)
        params = {**entry.params, "model": model}
        headers = entry.headers
        if not entry.provider and not (params.get("api_base") or params.get("base_url")) \
                and _provider_of(model, params) != "openai":
            # The catch-all sends each name to the provider it names. A key (or
            # header) the entry sets is OpenAI's, as LiteLLM reads a bare "*" as
            # OpenAI: it must never travel to another provider's host.
            params.pop("api_key", None)
            headers = {}
        try:
            target = providers.target(model, params, self.provider_environ)
        except providers.UnknownProvider:
            return None
        if target.provider in providers.NATIVE or not target.provider_model:
            return None
        concrete = dataclasses.replace(entry, model_name=name, model=model, provider=target.provider,
                                       provider_model=target.provider_model, api_base=target.api_base,
                                       api_key=target.api_key, headers=headers, params=params)
        identity = hashlib.sha256(f"{template.id}\0{name}".encode()).hexdigest()[:16]
        deployment = Deployment(id=identity, model_name=name, entry=concrete,
                                public_api_base=public_api_base(concrete.api_base))
        if self.check is not None and self.check(deployment) is not None:
            return None
        return deployment


def _provider_of(model: str, params: dict) -> str | None:
    try:
        return providers.split_model(model, params.get("custom_llm_provider"))[0]
    except providers.UnknownProvider:
        return None


def public_api_base(api_base: str | None) -> str:
    if not api_base:
        return ""
    parts = urlsplit(api_base)
    host_and_port = parts.netloc.rpartition("@")[2]  # drop user:password@, keep [::1]:port as written
    return f"{parts.scheme}://{host_and_port}{parts.path}"


def build_table(config: GatewayConfig, check: ServingCheck) -> DeploymentTable:
    """The table of what can be served; entries `check` refuses, and duplicate
    `model_info.id`s, are skipped with their reason (`table.skipped`)."""
    groups: dict[str, list[Deployment]] = {}
    wildcards: dict[str, list[Deployment]] = {}
    skipped: list[SkippedDeployment] = []
    seen_ids: dict[str, str] = {}
    for entry in config.model_list:
        identity = deployment_id(entry)
        if identity in seen_ids:
            if entry.model_info.get("id"):
                skipped.append(SkippedDeployment(entry.entry, f"model_info.id: {identity!r} is already used by "
                                                              f"{seen_ids[identity]}", entry.index))
                continue
            # The same entry written twice: LiteLLM accepts it (it doubles that
            # deployment's share of traffic); give the copy an id of its own.
            copy = 2
            while f"{identity}-{copy}" in seen_ids:
                copy += 1
            identity = f"{identity}-{copy}"
        deployment = Deployment(id=identity, model_name=entry.model_name, entry=entry,
                                public_api_base=public_api_base(entry.api_base))
        problem = check(deployment) if entry.provider else None
        if problem is not None:
            skipped.append(SkippedDeployment(entry.entry, problem, entry.index))
            continue
        seen_ids[identity] = entry.entry
        (wildcards if entry.is_wildcard else groups).setdefault(entry.model_name, []).append(deployment)

    aliases: dict[str, str] = {}
    hidden: set[str] = set()
    for alias, target in config.router_settings.model_group_alias.items():
        if isinstance(target, dict):
            aliases[str(alias)] = str(target.get("model"))
            if str(target.get("hidden")).lower() in ("true", "yes", "1"):  # YAML true, or "true" from the environment
                hidden.add(str(alias))
        else:
            aliases[str(alias)] = str(target)
    alias_map = {str(alias): str(target) for alias, target in config.litellm_settings.model_alias_map.items()}
    routes = sorted((WildcardRoute.of(pattern, tuple(items)) for pattern, items in wildcards.items()),
                    key=lambda route: -route.specificity)
    return DeploymentTable(groups={name: tuple(items) for name, items in groups.items()}, aliases=aliases,
                           hidden_aliases=frozenset(hidden), model_alias_map=alias_map,
                           by_id={d.id: d for items in groups.values() for d in items},
                           wildcards=tuple(routes), provider_environ=config.provider_environ, check=check,
                           skipped=tuple(skipped))
