"""Which model groups a key may call, and the `aliases` that rename what a
client asks for.

The models of the key, of its team and of its user must all allow a model:
what a call may use is their intersection. Each list allows a name when it is
empty, holds the name (or the model group it resolves to), holds
`all-proxy-models`, or holds an access group (`model_info.access_groups` in
the config) the model group belongs to; on a key, `all-team-models` allows
what the team allows. Everything is read from the cached KeyContext and the
config: no query per call.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.errors import PermissionDenied
from gateway.types import KeyContext

ALL_PROXY_MODELS = "all-proxy-models"
ALL_TEAM_MODELS = "all-team-models"


@dataclass(frozen=True, slots=True)
class AccessGroup:
    """The model groups of one access group: names, and wildcard model_names (`openai/*`)."""

    names: frozenset[str] = frozenset()
    patterns: tuple[re.Pattern, ...] = ()

    def contains(self, name: str) -> bool:
        return name in self.names or any(pattern.fullmatch(name) for pattern in self.patterns)


# The config's access groups by name; one owner: the runtime sets it when it loads a config.
_access_groups: dict[str, AccessGroup] = {}


def use_access_groups(groups: dict[str, AccessGroup]) -> None:
    global _access_groups
    _access_groups = dict(groups)


def access_groups_of(table) -> dict[str, AccessGroup]:
    """The access groups a deployment table's model_info names (routing.deployments.DeploymentTable)."""
    names: dict[str, set[str]] = {}
    patterns: dict[str, list[re.Pattern]] = {}
    for group, deployments in table.groups.items():
        for deployment in deployments:
            for access_group in _access_groups_in(deployment.entry.model_info):
                names.setdefault(access_group, set()).add(group)
    for route in table.wildcards:
        for template in route.templates:
            for access_group in _access_groups_in(template.entry.model_info):
                patterns.setdefault(access_group, []).append(route.regex)
    return {access_group: AccessGroup(frozenset(names.get(access_group, ())),
                                      tuple(patterns.get(access_group, ())))
            for access_group in names.keys() | patterns.keys()}


def _access_groups_in(model_info: dict) -> list[str]:
    found = model_info.get("access_groups") or ()
    return [found] if isinstance(found, str) else [name for name in found if isinstance(name, str)]


def reset() -> None:
    use_access_groups({})


def apply_aliases(context: KeyContext, model: str) -> str:
    return context.aliases.get(model, model) if context.aliases else model


def _allows(models, names: tuple[str, ...]) -> bool:
    """Whether one models list (a key's, team's or user's) allows any of these names."""
    if not models or ALL_PROXY_MODELS in models or any(name in models for name in names):
        return True
    if _access_groups:
        for entry in models:
            group = _access_groups.get(entry)
            if group is not None and any(group.contains(name) for name in names):
                return True
    return False


def models_outside(allowed, models) -> list[str]:
    """The entries of a key's `models` that its team's `allowed` models do not
    cover, checked when a key is made or changed: a model group is covered when
    the team allows it; an access group when the team lists it, or allows every
    model group in it (never for a wildcard one, which may grow)."""
    if not allowed or ALL_PROXY_MODELS in allowed:
        return []
    outside = []
    for name in models:
        if name in (ALL_PROXY_MODELS, ALL_TEAM_MODELS) or _allows(allowed, (name,)):
            continue
        group = _access_groups.get(name)
        if group is None or group.patterns or not all(_allows(allowed, (member,)) for member in group.names):
            outside.append(name)
    return outside


def _key_allows(context: KeyContext, names: tuple[str, ...]) -> bool:
    if ALL_TEAM_MODELS in context.models and _allows(context.team_models, names):
        return True
    return _allows(context.models, names)


def may_call(context: KeyContext, model: str, group: str | None = None) -> bool:
    if context.is_admin:
        return True
    names = (model, group) if group and group != model else (model,)
    return _key_allows(context, names) and _allows(context.team_models, names) \
        and _allows(context.user_models, names)


def check_model_access(context: KeyContext, model: str, group: str) -> None:
    """Raise 403 unless the key, its team and its user may all call this model group."""
    if context.is_admin:
        return
    names = (model, group) if group != model else (model,)
    if not _key_allows(context, names):
        raise _denied("key", context.models, model)
    if not _allows(context.team_models, names):
        raise _denied("team", context.team_models, model)
    if not _allows(context.user_models, names):
        raise _denied("user", context.user_models, model)


def _denied(owner: str, models, model: str) -> PermissionDenied:
    return PermissionDenied(f"{owner} not allowed to access model. This {owner} can only access models="
                            f"{list(models)}. Tried to access {model}", param="model",
                            error_type=f"{owner}_model_access_denied")
