"""Read a LiteLLM `litellm_config.yaml` into a GatewayConfig.

Order of work, as LiteLLM does it: parse the YAML, merge `include` files,
export `environment_variables`, resolve every `os.environ/NAME` reference,
then read each section. The loader refuses a file only when the gateway cannot
run on it at all (not YAML, a section that is not a mapping, a master key it
cannot read). Everything else LiteLLM starts on, the gateway starts on:

- a deployment it cannot serve is skipped and reported, naming it and why
  (model_list.py);
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
from gateway.config.model_list import ModelList, read_model_list
from gateway.config.schema import (
    ConfigError,
    GatewayConfig,
    GeneralSettings,
    LitellmSettings,
    RouterSettings,
    Unacted,
)

ENV_PREFIX = "os.environ/"
CORE_SECTIONS = {"model_list", "router_settings", "litellm_settings", "general_settings", "environment_variables"}


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

    deployments = _read_model_list(document, unset, environ, problems)
    unacted: list[Unacted] = list(deployments.unacted)
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
        model_list=deployments.entries,
        router_settings=sections["router_settings"],
        litellm_settings=sections["litellm_settings"],
        general_settings=sections["general_settings"],
        warnings=tuple(problems.warnings),
        skipped=deployments.skipped,
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


def _read_model_list(document: dict, unset: dict[tuple[str, ...], str], environ: Mapping[str, str],
                     problems: _Problems) -> ModelList:
    raw = document.get("model_list")
    if raw is None or not isinstance(raw, list):
        if raw is not None:
            problems.error("model_list", "model_list", "must be a list of models")
        raw = []
    deployments = read_model_list(raw, document.get("credential_list"), unset, environ)
    for entry, field, problem in deployments.warnings:
        problems.warn(entry, field, problem)
    return deployments


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
