"""Which model groups a key may call: its own `models`, its team's, and the
`aliases` that rename what a client asks for."""
from __future__ import annotations

from gateway.errors import PermissionDenied
from gateway.types import KeyContext

ALL_PROXY_MODELS = "all-proxy-models"
ALL_TEAM_MODELS = "all-team-models"


def apply_aliases(context: KeyContext, model: str) -> str:
    return context.aliases.get(model, model) if context.aliases else model


def _key_allows(context: KeyContext, names: tuple[str, ...]) -> bool:
    models = context.models
    if not models or ALL_PROXY_MODELS in models:
        return True
    if ALL_TEAM_MODELS in models and _team_allows(context, names):
        return True
    return any(name in models for name in names)


def _team_allows(context: KeyContext, names: tuple[str, ...]) -> bool:
    models = context.team_models
    return not models or ALL_PROXY_MODELS in models or any(name in models for name in names)


def may_call(context: KeyContext, model: str, group: str | None = None) -> bool:
    if context.is_admin:
        return True
    names = (model, group) if group and group != model else (model,)
    return _key_allows(context, names) and _team_allows(context, names)


def check_model_access(context: KeyContext, model: str, group: str) -> None:
    """Raise 403 unless the key (and its team) may call this model group."""
    if context.is_admin:
        return
    names = (model, group) if group != model else (model,)
    if not _key_allows(context, names):
        raise PermissionDenied(f"key not allowed to access model. This key can only access models="
                               f"{list(context.models)}. Tried to access {model}", param="model",
                               error_type="key_model_access_denied")
    if not _team_allows(context, names):
        raise PermissionDenied(f"team not allowed to access model. This team can only access models="
                               f"{list(context.team_models)}. Tried to access {model}", param="model",
                               error_type="team_model_access_denied")
