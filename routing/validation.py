"""Routing checks for `check_config` and start-up: strategy names, fallbacks and
aliases that name missing groups, fallback cycles, deployments nothing reaches."""
from __future__ import annotations

from gateway.config.schema import GatewayConfig
from routing.deployments import DeploymentTable
from routing.policy import RouterPolicy
from routing.strategies import STRATEGIES


def routing_problems(config: GatewayConfig, table: DeploymentTable) -> tuple[list[str], list[str]]:
    """(errors, warnings), each naming the file, the setting and the entry."""
    source = str(config.path) if config.path else "config"
    errors: list[str] = []
    warnings: list[str] = []
    strategy = config.router_settings.routing_strategy
    if strategy not in STRATEGIES:
        errors.append(f"{source}: router_settings: routing_strategy: unknown strategy {strategy!r}; use one of "
                      f"{', '.join(STRATEGIES)}")
        return errors, warnings
    policy = RouterPolicy.from_config(config)

    def known(name: str) -> bool:
        return table.resolve(name) is not None

    for setting, mapping in (("fallbacks", policy.fallbacks),
                             ("context_window_fallbacks", policy.context_window_fallbacks),
                             ("content_policy_fallbacks", policy.content_policy_fallbacks)):
        for group, targets in mapping.items():
            if group != "*" and not known(group):
                errors.append(f"{source}: router_settings: {setting}: {group!r} is not a model group")
            for target in targets:
                if not known(target):
                    errors.append(f"{source}: router_settings: {setting}: {group} -> {target!r} is not a model group")
        cycle = _find_cycle({g: t for g, t in mapping.items() if g != "*"}, table)
        if cycle:
            errors.append(f"{source}: router_settings: {setting}: fallback cycle {' -> '.join(cycle)}")
    for target in policy.default_fallbacks:
        if not known(target):
            errors.append(f"{source}: router_settings: default_fallbacks: {target!r} is not a model group")

    for alias, target in table.aliases.items():
        if target not in table.groups:
            errors.append(f"{source}: router_settings: model_group_alias: {alias} -> {target!r} is not a model group")
        elif alias in table.groups:
            errors.append(f"{source}: router_settings: model_group_alias: {alias!r} is also a model group, so the "
                          "alias can never be reached")

    for deployments in table.groups.values():
        for deployment in deployments:
            entry = deployment.entry
            for limit in ("rpm", "tpm"):
                if getattr(entry, limit) == 0:
                    errors.append(f"{source}: {entry.entry}: litellm_params.{limit}: a limit of 0 means no request "
                                  "can ever reach this deployment")
            if strategy == "simple-shuffle" and entry.weight == 0 and len(deployments) > 1:
                warnings.append(f"{source}: {entry.entry}: litellm_params.weight: 0 means this deployment only gets "
                                "traffic when every other one of its group is unavailable")
    return errors, warnings


def _find_cycle(edges: dict[str, tuple[str, ...]], table: DeploymentTable) -> list[str] | None:
    """A fallback path that comes back to where it started, if there is one."""
    graph = {table.resolve(g) or g: [table.resolve(t) or t for t in targets] for g, targets in edges.items()}

    def visit(node: str, path: list[str]) -> list[str] | None:
        for nxt in graph.get(node, ()):
            if nxt in path:
                return path[path.index(nxt):] + [nxt]
            found = visit(nxt, [*path, nxt])
            if found:
                return found
        return None

    for start in graph:
        found = visit(start, [start])
        if found:
            return found
    return None
