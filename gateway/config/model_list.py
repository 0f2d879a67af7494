"""`model_list`: each entry read into a ModelEntry, or left out with the reason.

An entry is left out, never fatal, when the gateway cannot serve it as written:
a provider whose API is not served, a model no provider can be found for, an
unset variable, a value of the wrong type. Its litellm_params are read in their
proper types; the ones the gateway does not act on are reported, once per
parameter, naming the entries that set them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.config import checks, providers, support
from gateway.config.schema import ModelEntry, SkippedDeployment, Unacted

ENTRY_KEYS = ("model_name", "litellm_params", "model_info")
# Parameters that hold credentials (an api_base may carry user:password@).
SECRET_PARAMS = frozenset({"api_key", "api_base", "base_url", "headers", "extra_headers", "azure_ad_token",
                           "client_secret", "azure_password"})
# Shown per parameter in the not-acted-on report before "and N more".
ENTRIES_NAMED = 4

Warning = tuple[str, str, str]  # (entry, field, problem)


@dataclass(frozen=True, slots=True)
class ModelList:
    entries: tuple[ModelEntry, ...]
    skipped: tuple[SkippedDeployment, ...]
    unacted: tuple[Unacted, ...]
    warnings: tuple[Warning, ...]


class _Skip(Exception):
    """The deployment being read cannot be served; the message says why."""


def read_model_list(raw: list, credential_list: Any, unset: Mapping[tuple[str, ...], str],
                    environ: Mapping[str, str]) -> ModelList:
    """`unset`: the os.environ/ references that named no variable, by their place in the file."""
    warnings: list[Warning] = []
    credentials = _credentials(credential_list, warnings)
    entries: list[ModelEntry] = []
    skipped: list[SkippedDeployment] = []
    not_acted: dict[str, tuple[support.Setting, list[str]]] = {}
    for index, item in enumerate(raw):
        label = _entry_label(index, item)
        missing = [f"{'.'.join(trail[2:])}: environment variable {name} is not set"
                   for trail, name in unset.items() if trail[:2] == ("model_list", f"[{index}]")]
        try:
            if missing:
                raise _Skip("; ".join(missing))
            entry = _read_entry(index, label, item, credentials, environ, warnings)
        except _Skip as reason:
            skipped.append(SkippedDeployment(label, str(reason), index))
            continue
        entries.append(entry)
        for name, setting in _unacted_params(entry):
            not_acted.setdefault(name, (setting, []))[1].append(label)
    unacted = []
    for name, (setting, labels) in not_acted.items():
        shown = ", ".join(labels[:ENTRIES_NAMED]) + (f" and {len(labels) - ENTRIES_NAMED} more"
                                                      if len(labels) > ENTRIES_NAMED else "")
        unacted += setting.report(f"{name} of {shown}", True)
    return ModelList(tuple(entries), tuple(skipped), tuple(unacted), tuple(warnings))


def _read_entry(index: int, label: str, item: Any, credentials: dict[str, dict], environ: Mapping[str, str],
                warnings: list[Warning]) -> ModelEntry:
    """One model_list entry; raise _Skip with the reason when it cannot be served."""
    if not isinstance(item, dict):
        raise _Skip("must be a mapping with model_name and litellm_params")
    model_name = item.get("model_name")
    if isinstance(model_name, (int, float)) and not isinstance(model_name, bool):
        model_name = str(model_name)
    if not isinstance(model_name, str) or not model_name:
        raise _Skip("model_name: is required and must be a non-empty string")
    for key in item:
        if key not in ENTRY_KEYS:
            warnings.append((label, str(key), "unknown key, ignored"))
    params = item.get("litellm_params")
    if not isinstance(params, dict):
        raise _Skip("litellm_params: is required and must be a mapping")
    model_info = item.get("model_info") or {}
    if not isinstance(model_info, dict):
        warnings.append((label, "model_info", "must be a mapping; ignored"))
        model_info = {}
    params = _with_credential(params, credentials)
    params, param_warnings = _checked_params(params)

    model = params.get("model")
    if not isinstance(model, str) or not model:
        raise _Skip('litellm_params.model: is required, as "<provider>/<model>" (e.g. openai/gpt-4.1)')
    is_wildcard = "*" in model_name
    if "*" in model and not is_wildcard:
        raise _Skip(f"litellm_params.model: {model!r} has a \"*\" but model_name {model_name!r} has none to fill it")
    if is_wildcard and model == "*" and not params.get("custom_llm_provider"):
        # Catch-all: the provider is found from each request's model name.
        target = providers.Target("", "*", params.get("api_base") or params.get("base_url"), params.get("api_key"))
    else:
        target = _target(model, params, environ)
    request_defaults = {name: value for name, value in params.items() if name in support.REQUEST_DEFAULTS}
    request_defaults.update(params.get("extra_body") or {})
    headers = {**(params.get("headers") or {}), **(params.get("extra_headers") or {})}
    if params.get("organization") and target.provider in providers.OPENAI_COMPATIBLE:
        headers.setdefault("OpenAI-Organization", params["organization"])
    # Only for deployments that are served: the others say why not.
    warnings += [(label, field, problem) for field, problem in param_warnings]
    return ModelEntry(
        index=index,
        model_name=model_name,
        model=model,
        provider=target.provider,
        provider_model=target.provider_model,
        api_base=target.api_base,
        api_key=target.api_key,
        api_version=params.get("api_version"),
        rpm=params.get("rpm"),
        tpm=params.get("tpm"),
        timeout=params.get("timeout"),
        stream_timeout=params.get("stream_timeout"),
        weight=params.get("weight"),
        order=params.get("order"),
        mock_response=params.get("mock_response"),
        headers=headers,
        request_defaults=request_defaults,
        model_info=model_info,
        params=params,
    )


def _with_credential(params: dict, credentials: dict[str, dict]) -> dict:
    name = params.get("litellm_credential_name")
    if name is None:
        return params
    if name not in credentials:
        raise _Skip(f"litellm_params.litellm_credential_name: no credential {name!r} in credential_list")
    return {**credentials[name], **params}


def _checked_params(params: dict) -> tuple[dict, list[tuple[str, str]]]:
    """litellm_params in their proper types, and warnings as (field, problem).
    A bad value of a parameter the gateway acts on skips the deployment: it
    cannot be served as written."""
    checked = {}
    warnings = []
    for key, value in params.items():
        setting = support.DEPLOYMENT_PARAMS.get(key)
        if setting is None:
            if key not in support.REQUEST_DEFAULTS:
                warnings.append((f"litellm_params.{key}", "unknown parameter, ignored"))
            checked[key] = value
            continue
        if value is None:
            continue
        try:
            checked[key] = setting.check(value)
        except checks.Invalid as exc:
            # A secret's value must not reach a log line, even when it is wrong.
            problem = _secret_problem(key, value) if key in SECRET_PARAMS else str(exc)
            if setting.support is support.Support.ACTED:
                raise _Skip(f"litellm_params.{key}: {problem}") from None
            warnings.append((f"litellm_params.{key}", f"{problem}; ignored"))
    return checked, warnings


def _secret_problem(key: str, value: Any) -> str:
    if isinstance(value, str) and key in ("api_base", "base_url"):
        return "is not a valid http:// or https:// URL with a host (and a port from 1 to 65535)"
    return f"has the wrong type ({type(value).__name__})"


def _target(model: str, params: dict, environ: Mapping[str, str]) -> providers.Target:
    try:
        target = providers.target(model, params, environ)
    except providers.UnknownProvider as exc:
        raise _Skip(f"litellm_params.model: {exc}") from None
    if target.provider in providers.NATIVE:
        raise _Skip(f"litellm_params.model: the {target.provider} API is not served yet (only providers that "
                    "speak OpenAI's API, and Azure)")
    if not target.provider_model:
        raise _Skip(f"litellm_params.model: {model!r} names no model after \"{target.provider}/\"")
    if target.provider in ("azure", "openai") and target.provider_model.startswith("responses/"):
        raise _Skip(f"litellm_params.model: {model!r}: chat completions through the Responses API "
                    "(\"responses/\") are not served yet")
    return target


def _credentials(raw: Any, warnings: list[Warning]) -> dict[str, dict]:
    """`credential_list`: named credential_values that deployments use by
    `litellm_credential_name`."""
    found: dict[str, dict] = {}
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        name = item.get("credential_name") if isinstance(item, dict) else None
        values = item.get("credential_values") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(values, dict):
            warnings.append((f"credential_list[{index}]", "credential_name",
                             "each credential needs a credential_name and a credential_values mapping; ignored"))
            continue
        found[name] = values
    return found


def _entry_label(index: int, item: Any) -> str:
    name = item.get("model_name") if isinstance(item, dict) else None
    return f"model_list[{index}] ({name})" if isinstance(name, (str, int, float)) and name != "" else \
        f"model_list[{index}]"


def _unacted_params(entry: ModelEntry) -> list[tuple[str, support.Setting]]:
    found = []
    for key, value in entry.params.items():
        setting = support.DEPLOYMENT_PARAMS.get(key)
        if setting is not None and setting.support is not support.Support.ACTED and setting.asks(value):
            found.append((f"litellm_params.{key}", setting))
    for key, value in entry.model_info.items():
        setting = support.MODEL_INFO.get(key)
        if setting is not None and setting.support is not support.Support.ACTED and setting.asks(value):
            found.append((f"model_info.{key}", setting))
    return found
