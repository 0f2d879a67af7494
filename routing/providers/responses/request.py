"""A Responses API request body as a Chat Completions body, for deployments
that only speak chat completions (vLLM, Ollama, the local mock).

Every field is either translated, known to change nothing in the answer, or a
400 naming it: a silently dropped setting would give an answer the client did
not ask for.
"""
from __future__ import annotations

from typing import Any

from gateway.errors import BadRequest
from routing.providers.responses.input_items import messages_from_input

CANNOT_RUN = "deployments speaking only chat completions cannot"
# Same name and meaning in both APIs.
PASSED_THROUGH = ("temperature", "top_p", "user", "parallel_tool_calls", "service_tier", "prompt_cache_key",
                  "safety_identifier", "stream", "seed")
# Settings of the Responses store or transport; a chat answer is the same without them.
NO_CHAT_MEANING = ("store", "metadata", "stream_options")
# Read directly by to_chat_body rather than through TRANSLATORS.
READ_DIRECTLY = ("model", "input", "instructions", "max_output_tokens", "top_logprobs")
TOOL_CHOICE_MODES = frozenset({"auto", "none", "required"})
# `include` values a chat translation satisfies by itself.
INCLUDE_SATISFIED = frozenset({
    # No reasoning items are ever produced, so there is no encrypted content to add.
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
})


def to_chat_body(body: dict) -> dict:
    """The chat body asking for the same answer as Responses `body`; `body` is not changed."""
    chat: dict[str, Any] = {}
    if "model" in body:
        chat["model"] = body["model"]
    if "input" not in body:
        raise BadRequest("input: is required", param="input")
    messages = messages_from_input(body["input"])
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise BadRequest("instructions: must be a string", param="instructions")
        messages.insert(0, {"role": "system", "content": instructions})
    chat["messages"] = messages

    for name in PASSED_THROUGH:
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("stream") is True:
        # A Responses stream always ends with usage; chat servers only send it when asked.
        chat["stream_options"] = {"include_usage": True}
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    if body.get("top_logprobs") is not None:
        chat["logprobs"] = True
        chat["top_logprobs"] = body["top_logprobs"]

    handled = {*PASSED_THROUGH, *NO_CHAT_MEANING, *READ_DIRECTLY}
    for name, value in body.items():
        if name in handled:
            continue
        translate = TRANSLATORS.get(name)
        if translate is None:
            raise BadRequest(f"{name}: is not a Responses API field the gateway can translate to chat completions",
                             param=name)
        translate(value, chat)
    return chat


def _tools(value: Any, chat: dict) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise BadRequest("tools: must be a list", param="tools")
    chat_tools = []
    for index, tool in enumerate(value):
        where = f"tools[{index}]"
        if not isinstance(tool, dict):
            raise BadRequest(f"{where}: must be an object (a tool)", param=where)
        if tool.get("type") != "function":
            raise BadRequest(f"{where}.type: {tool.get('type')!r} is a built-in tool that {CANNOT_RUN} run",
                             param=f"{where}.type")
        if not isinstance(tool.get("name"), str):
            raise BadRequest(f"{where}.name: must be a string", param=f"{where}.name")
        # Clients such as n8n send `"strict": null`; some servers reject nulls.
        function = {key: tool[key] for key in ("name", "description", "parameters", "strict")
                    if tool.get(key) is not None}
        chat_tools.append({"type": "function", "function": function})
    if chat_tools:
        chat["tools"] = chat_tools


def _tool_choice(value: Any, chat: dict) -> None:
    if value is None:
        return
    if isinstance(value, str) and value in TOOL_CHOICE_MODES:
        chat["tool_choice"] = value
    elif isinstance(value, dict) and value.get("type") == "function" and isinstance(value.get("name"), str):
        chat["tool_choice"] = {"type": "function", "function": {"name": value["name"]}}
    else:
        raise BadRequest(f"tool_choice: {value!r} is a choice {CANNOT_RUN} take; use auto, none, required "
                         "or a function", param="tool_choice")


def _text(value: Any, chat: dict) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise BadRequest("text: must be an object", param="text")
    if value.get("verbosity") is not None:
        chat["verbosity"] = value["verbosity"]
    text_format = value.get("format")
    if text_format is None:
        return
    if not isinstance(text_format, dict):
        raise BadRequest("text.format: must be an object", param="text.format")
    kind = text_format.get("type")
    if kind == "text":
        return
    if kind == "json_object":
        chat["response_format"] = {"type": "json_object"}
    elif kind == "json_schema":
        if not isinstance(text_format.get("name"), str):
            raise BadRequest("text.format.name: a json_schema format needs a name", param="text.format.name")
        schema = {key: text_format[key] for key in ("name", "schema", "strict", "description")
                  if text_format.get(key) is not None}
        chat["response_format"] = {"type": "json_schema", "json_schema": schema}
    else:
        raise BadRequest(f"text.format.type: {kind!r} is an output format {CANNOT_RUN} produce",
                         param="text.format.type")


def _reasoning(value: Any, chat: dict) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise BadRequest("reasoning: must be an object", param="reasoning")
    if value.get("summary") is not None:
        raise BadRequest(f"reasoning.summary: reasoning summaries are something {CANNOT_RUN} produce",
                         param="reasoning.summary")
    if value.get("effort") is not None:
        chat["reasoning_effort"] = value["effort"]


def _include(value: Any, chat: dict) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise BadRequest("include: must be a list", param="include")
    for index, name in enumerate(value):
        if not isinstance(name, str) or name not in INCLUDE_SATISFIED:
            raise BadRequest(f"include[{index}]: {name!r} is output {CANNOT_RUN} produce", param=f"include[{index}]")
        if name == "message.output_text.logprobs":
            chat["logprobs"] = True


def _truncation(value: Any, chat: dict) -> None:
    if value not in (None, "disabled"):
        raise BadRequest(f"truncation: {value!r} needs the conversation store, which {CANNOT_RUN} use; "
                         "use 'disabled'", param="truncation")


def _background(value: Any, chat: dict) -> None:
    if value not in (None, False):
        raise BadRequest(f"background: background responses are something {CANNOT_RUN} run", param="background")


def _previous_response_id(value: Any, chat: dict) -> None:
    # The gateway expands previous_response_id into `input` before calling us;
    # one still here would lose the earlier turns.
    if value is not None:
        raise BadRequest("previous_response_id: was not expanded into input before translation",
                         param="previous_response_id")


def _server_side_only(name: str):
    def reject(value: Any, chat: dict) -> None:
        if value is not None:
            raise BadRequest(f"{name}: is a Responses API feature {CANNOT_RUN} run", param=name)
    return reject


TRANSLATORS = {
    "tools": _tools,
    "tool_choice": _tool_choice,
    "text": _text,
    "reasoning": _reasoning,
    "include": _include,
    "truncation": _truncation,
    "background": _background,
    "previous_response_id": _previous_response_id,
    "conversation": _server_side_only("conversation"),
    "prompt": _server_side_only("prompt"),
    "max_tool_calls": _server_side_only("max_tool_calls"),
}
