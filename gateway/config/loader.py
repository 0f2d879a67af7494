"""Read a LiteLLM `litellm_config.yaml` into a GatewayConfig.

Order of work, as LiteLLM does it: parse the YAML, merge `include` files,
export `environment_variables`, resolve every `os.environ/NAME` reference,
then read each section. The loader refuses a file only when the gateway cannot
run on it at all (not YAML, a section that is not a mapping, a master key it
cannot read). Everything else LiteLLM starts on, the gateway starts on:

- a deployment it cannot serve is skipped and reported, naming it and why;
- a setting with a value it cannot use is a warning, and its default applies;
- a setting it does not act on yet is reported (support.py), as NOT ENFORCED
  when it restricts access, spend or content.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from gateway.config import checks, providers, support
from gateway.config.schema import (
    ConfigError,
    GatewayConfig,
    GeneralSettings,
    LitellmSettings,
    ModelEntry,
    RouterSettings,
    SkippedDeployment,
    Unacted,
)

ENV_PREFIX = "os.environ/"
CORE_SECTIONS = {"model_list", "router_settings", "litellm_settings", "general_settings", "environment_variables"}
ENTRY_KEYS = ("model_name", "litellm_params", "model_info")
# Parameters that hold credentials (an api_base may carry user:password@).
SECRET_PARAMS = frozenset({"api_key", "api_base", "base_url", "headers", "extra_headers", "azure_ad_token",
                           "client_secret", "azure_password"})
# Shown per setting in the not-acted-on report before "and N more".
ENTRIES_NAMED = 4


class _Problems:
    """Collects problems, each prefixed with the file name."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, entry: str, field: str, problem: str) -> None:
        self.errors.append(f"{self.source}: {entry}: {field}: {problem}")

    def warn(self, entry: str, field: str, problem: str) -> None:
        self.warnings.append(f"{self.source}: {entry}: {field}: {problem}")


class _Skip(Exception):
    """The deployment being read cannot be served; the message says why."""


def load_config(path: str | Path) -> GatewayConfig:
    """Load and read a config file; raise ConfigError only when nothing can run on it."""
    path = Path(path)
    problems = _Problems(str(path))
    document = _read_yaml(path)
    document = _merge_includes(document, path, problems)
    return parse_config(document, problems, path)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the config file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"]) from None
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "document"
        raise ConfigError([f"{path}: {where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None


def _merge_includes(document: Any, path: Path, problems: _Problems) -> Any:
    """`include: [other.yaml]`, relative to the file: as LiteLLM merges them,
    lists (model_list) are extended and other keys are taken from the included file."""
    if not isinstance(document, dict) or "include" not in document:
        return document
    try:
        names = checks.string_list(document["include"])
    except checks.Invalid as exc:
        raise ConfigError([f"{path}: top level: include: {exc}"]) from None
    merged = {key: value for key, value in document.items() if key != "include"}
    for name in names:
        included = _read_yaml(path.parent / name)
        if not isinstance(included, dict):
            raise ConfigError([f"{path}: top level: include: {name} must hold a mapping of sections"])
        for key, value in included.items():
            if isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = [*merged[key], *value]
            else:
                merged[key] = value
    return merged


def parse_config(document: Any, problems: _Problems, path: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> GatewayConfig:
    if not isinstance(document, dict):
        raise ConfigError([f"{problems.source}: top level: must be a mapping of sections"])
    for key in document:
        if key not in CORE_SECTIONS and key not in support.TOP_LEVEL:
            problems.warn("top level", str(key), "unknown section, ignored")

    _export_environment(document.get("environment_variables"), problems)
    environ = os.environ if environ is None else environ
    unset: dict[tuple[str, ...], str] = {}
    document = _resolve_env_refs(document, [], unset, environ)

    unacted: list[Unacted] = []
    credentials = _credentials(document.get("credential_list"), problems)
    entries, skipped, deployment_unacted = _parse_model_list(document.get("model_list"), credentials, unset,
                                                            environ, problems, document)
    unacted += deployment_unacted
    sections = {}
    for name, typed in (("router_settings", RouterSettings), ("litellm_settings", LitellmSettings),
                        ("general_settings", GeneralSettings)):
        values, found = _parse_section(document, name, typed.__slots__, unset, problems)
        sections[name] = typed(**values)
        unacted += found
    for key, setting in support.TOP_LEVEL.items():
        if document.get(key) is not None:
            unacted += setting.report(key, document[key])
    for trail, name in unset.items():
        # A deployment's are reasons to skip it, a setting's were reported with the setting.
        if trail[0] != "model_list" and not (trail[0] in support.SECTIONS and len(trail) == 2):
            problems.warn(*_describe_trail(list(trail), document), f"environment variable {name} is not set")
    if problems.errors:
        raise ConfigError(problems.errors)
    return GatewayConfig(
        path=path,
        model_list=tuple(entries),
        router_settings=sections["router_settings"],
        litellm_settings=sections["litellm_settings"],
        general_settings=sections["general_settings"],
        warnings=tuple(problems.warnings),
        skipped=tuple(skipped),
        unacted=tuple(unacted),
        provider_environ=providers.environment_of_providers(environ),
    )


def _export_environment(variables: Any, problems: _Problems) -> None:
    if variables is None:
        return
    if not isinstance(variables, dict):
        raise ConfigError([f"{problems.source}: environment_variables: must be a mapping of NAME: value"])
    for name, value in variables.items():
        if value is None:
            continue
        os.environ[str(name)] = value if isinstance(value, str) else str(value)


def _resolve_env_refs(node: Any, trail: list[str], unset: dict[tuple[str, ...], str],
                      environ: Mapping[str, str]) -> Any:
    """Replace every "os.environ/NAME" string with the variable's value; an
    unset one becomes None and is noted under its place in the file."""
    if isinstance(node, dict):
        return {key: _resolve_env_refs(value, [*trail, str(key)], unset, environ) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_env_refs(value, [*trail, f"[{i}]"], unset, environ) for i, value in enumerate(node)]
    if isinstance(node, str) and node.startswith(ENV_PREFIX):
        name = node[len(ENV_PREFIX):]
        if name in environ:
            return environ[name]
        unset[tuple(trail)] = name
        return None
    return node


def _describe_trail(trail: list[str], document: dict) -> tuple[str, str]:
    """("model_list", "[0]", "litellm_params", "api_key") -> ("model_list[0] (gpt-4o)", "litellm_params.api_key")."""
    if len(trail) >= 2 and trail[1].startswith("["):
        entry = trail[0] + trail[1]
        if trail[0] == "model_list":
            item = document["model_list"][int(trail[1][1:-1])]
            if isinstance(item, dict) and isinstance(item.get("model_name"), str):
                entry += f" ({item['model_name']})"
        return entry, ".".join(trail[2:]) or trail[0]
    return (trail[0] if trail else "top level"), ".".join(trail[1:]) or (trail[0] if trail else "")


def _credentials(raw: Any, problems: _Problems) -> dict[str, dict]:
    """`credential_list`: named credential_values that deployments use by
    `litellm_credential_name`."""
    found: dict[str, dict] = {}
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        name = item.get("credential_name") if isinstance(item, dict) else None
        values = item.get("credential_values") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(values, dict):
            problems.warn(f"credential_list[{index}]", "credential_name",
                          "each credential needs a credential_name and a credential_values mapping; ignored")
            continue
        found[name] = values
    return found


def _parse_model_list(raw: Any, credentials: dict[str, dict], unset: dict[tuple[str, ...], str],
                      environ: Mapping[str, str], problems: _Problems,
                      document: dict) -> tuple[list[ModelEntry], list[SkippedDeployment], list[Unacted]]:
    if raw is None:
        return [], [], []
    if not isinstance(raw, list):
        problems.error("model_list", "model_list", "must be a list of models")
        return [], [], []
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
            entry = _parse_model(index, label, item, credentials, environ, problems)
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
    return entries, skipped, unacted


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


def _parse_model(index: int, label: str, item: Any, credentials: dict[str, dict], environ: Mapping[str, str],
                 problems: _Problems) -> ModelEntry:
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
            problems.warn(label, str(key), "unknown key, ignored")
    params = item.get("litellm_params")
    if not isinstance(params, dict):
        raise _Skip("litellm_params: is required and must be a mapping")
    model_info = item.get("model_info") or {}
    if not isinstance(model_info, dict):
        problems.warn(label, "model_info", "must be a mapping; ignored")
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
    for field, warning in param_warnings:  # only for deployments that are served: the others say why not
        problems.warn(label, field, warning)
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


def _parse_section(document: dict, name: str, typed: tuple[str, ...], unset: dict[tuple[str, ...], str],
                   problems: _Problems) -> tuple[dict, list[Unacted]]:
    """Read one settings section; return keyword arguments for its dataclass
    and the settings it asks for that the gateway does not act on."""
    raw = document.get(name)
    if raw is None:
        return ({"extra": {}} if "extra" in typed else {}), []
    if not isinstance(raw, dict):
        problems.error(name, name, "must be a mapping of settings")
        return ({"extra": {}} if "extra" in typed else {}), []
    table = support.SECTIONS[name]
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    unacted: list[Unacted] = []
    for key, value in raw.items():
        setting = table.get(key)
        if (name, str(key)) in unset:
            if name == "general_settings" and key == "master_key":
                problems.error(name, "master_key", f"environment variable {unset[(name, key)]} is not set, and "
                                                   "the gateway will not start without the key it names")
            else:
                problems.warn(name, str(key), f"environment variable {unset[(name, key)]} is not set; ignored")
            continue
        if setting is None:
            problems.warn(name, str(key), "unknown setting, ignored")
            extra[key] = value
            continue
        try:
            value = setting.check(value) if value is not None else None
        except checks.Invalid as exc:
            if name == "general_settings" and key == "master_key":
                problems.error(name, str(key), str(exc))
            else:
                problems.warn(name, str(key), f"{exc}; ignored, the default applies")
            continue
        unacted += setting.report(f"{name}.{key}", value)
        if key in typed and key != "extra" and value is not None:
            values[key] = tuple(value) if isinstance(value, list) else value
        else:
            extra[key] = value
    if "extra" in typed:
        values["extra"] = extra
    return values, unacted
