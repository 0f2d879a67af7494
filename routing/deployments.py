"""Deployments (one `model_list` entry each) and the table of model groups."""
from __future__ import annotations

import hashlib
from urllib.parse import urlsplit
from dataclasses import dataclass, field

import orjson

from gateway.config.schema import ConfigError, GatewayConfig, ModelEntry


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
class DeploymentTable:
    """Model groups by name, plus the aliases clients may use for them."""

    groups: dict[str, tuple[Deployment, ...]]
    aliases: dict[str, str]  # router_settings.model_group_alias
    hidden_aliases: frozenset[str] = frozenset()
    model_alias_map: dict[str, str] = field(default_factory=dict)  # litellm_settings, applied first
    by_id: dict[str, Deployment] = field(default_factory=dict)

    def resolve(self, name: str) -> str | None:
        """The group a client-facing model name refers to, or None: as LiteLLM,
        litellm_settings.model_alias_map first, then router_settings.model_group_alias."""
        name = self.model_alias_map.get(name, name)
        if name in self.groups:
            return name
        target = self.aliases.get(name)
        return target if target in self.groups else None

    def visible_names(self) -> list[str]:
        names = list(self.groups)
        names += [alias for alias in self.model_alias_map if alias not in names and self.resolve(alias)]
        names += [alias for alias, target in self.aliases.items()
                  if alias not in self.hidden_aliases and target in self.groups and alias not in names]
        return names


def public_api_base(api_base: str | None) -> str:
    if not api_base:
        return ""
    parts = urlsplit(api_base)
    host_and_port = parts.netloc.rpartition("@")[2]  # drop user:password@, keep [::1]:port as written
    return f"{parts.scheme}://{host_and_port}{parts.path}"


def build_table(config: GatewayConfig, known_providers: frozenset[str]) -> DeploymentTable:
    problems: list[str] = []
    source = str(config.path) if config.path else "config"
    groups: dict[str, list[Deployment]] = {}
    seen_ids: dict[str, str] = {}
    for entry in config.model_list:
        if entry.provider not in known_providers:
            problems.append(f"{source}: {entry.entry}: litellm_params.model: provider {entry.provider!r} is not "
                            f"supported; use one of: {', '.join(sorted(known_providers))}")
            continue
        identity = deployment_id(entry)
        if identity in seen_ids:
            if entry.model_info.get("id"):
                problems.append(f"{source}: {entry.entry}: model_info.id: {identity!r} is already used by "
                                f"{seen_ids[identity]}")
                continue
            # The same entry written twice: LiteLLM accepts it (it doubles that
            # deployment's share of traffic); give the copy an id of its own.
            copy = 2
            while f"{identity}-{copy}" in seen_ids:
                copy += 1
            identity = f"{identity}-{copy}"
        deployment = Deployment(id=identity, model_name=entry.model_name, entry=entry,
                                public_api_base=public_api_base(entry.api_base))
        seen_ids[identity] = entry.entry
        groups.setdefault(entry.model_name, []).append(deployment)
    if problems:
        raise ConfigError(problems)

    aliases: dict[str, str] = {}
    hidden: set[str] = set()
    for alias, target in config.router_settings.model_group_alias.items():
        if isinstance(target, dict):
            aliases[str(alias)] = str(target.get("model"))
            if target.get("hidden"):
                hidden.add(str(alias))
        else:
            aliases[str(alias)] = str(target)
    alias_map = {str(alias): str(target) for alias, target in config.litellm_settings.model_alias_map.items()}
    return DeploymentTable(groups={name: tuple(items) for name, items in groups.items()}, aliases=aliases,
                           hidden_aliases=frozenset(hidden), model_alias_map=alias_map,
                           by_id={d.id: d for items in groups.values() for d in items})
