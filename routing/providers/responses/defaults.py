"""A deployment's request defaults (litellm_params such as temperature or
max_tokens, written for chat completions) in the Responses API's terms."""
from __future__ import annotations

# Chat-only defaults with no Responses API field are left out: they were set
# by an admin for chat calls, and the Responses API would refuse them.
SAME_NAME = ("temperature", "top_p", "parallel_tool_calls")


def responses_defaults(defaults: dict) -> dict:
    if not defaults:
        return defaults
    translated = {name: defaults[name] for name in SAME_NAME if name in defaults}
    limit = defaults.get("max_completion_tokens") or defaults.get("max_tokens")
    if limit:
        translated["max_output_tokens"] = limit
    if defaults.get("reasoning_effort"):
        translated["reasoning"] = {"effort": defaults["reasoning_effort"]}
    return translated
