"""A Responses API `input` (a string or a list of items) as chat `messages`.

Anything that has no chat equivalent is a 400 naming the exact field, never a
silent drop: a conversation missing a piece would get a confidently wrong answer.
"""
from __future__ import annotations

from typing import Any

from gateway.errors import BadRequest

CHAT_ROLE_BY_INPUT_ROLE = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    # Many open servers (vLLM chat templates, Ollama) reject `developer`; for a
    # chat model it means the same as `system`.
    "developer": "system",
}
TEXT_PART_FIELDS = {"input_text": "text", "output_text": "text", "refusal": "refusal"}
# vLLM joins a message's text parts with a newline itself; doing it here gives
# every server the plain string content it handles best, with the same result.
PART_SEPARATOR = "\n"


def messages_from_input(value: Any) -> list[dict]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise BadRequest("input: must be a string or a list of input items", param="input")
    messages: list[dict] = []
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            raise BadRequest(f"{where}: must be an object (an input item)", param=where)
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            messages.append(_message(item, where))
        elif kind == "function_call":
            _add_tool_call(messages, _tool_call(item, where))
        elif kind == "function_call_output":
            messages.append(_tool_result(item, where))
        elif kind == "reasoning":
            # Reasoning items are the model's own internal state (often
            # encrypted); a chat model cannot take them back, so leaving them
            # out is the faithful translation, not a loss.
            continue
        else:
            raise BadRequest(f"{where}.type: {kind!r} is not an input item that deployments speaking only chat "
                             "completions can take", param=f"{where}.type")
    return messages


def _message(item: dict, where: str) -> dict:
    role = CHAT_ROLE_BY_INPUT_ROLE.get(item.get("role"))
    if role is None:
        raise BadRequest(f"{where}.role: {item.get('role')!r} is not one of user, assistant, system, developer",
                         param=f"{where}.role")
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise BadRequest(f"{where}.content: must be a string or a list of content parts", param=f"{where}.content")
    parts = [_content_part(part, f"{where}.content[{index}]") for index, part in enumerate(content)]
    if all(part["type"] == "text" for part in parts):
        return {"role": role, "content": PART_SEPARATOR.join(part["text"] for part in parts)}
    if role == "assistant":
        first_other = next(index for index, part in enumerate(parts) if part["type"] != "text")
        param = f"{where}.content[{first_other}].type"
        raise BadRequest(f"{param}: an assistant message can only hold text for deployments speaking only chat "
                         "completions", param=param)
    return {"role": role, "content": parts}


def _content_part(part: Any, where: str) -> dict:
    if not isinstance(part, dict):
        raise BadRequest(f"{where}: must be an object (a content part)", param=where)
    kind = part.get("type")
    if kind in TEXT_PART_FIELDS:
        return {"type": "text", "text": _string(part, TEXT_PART_FIELDS[kind], where)}
    if kind == "input_image":
        return _image_part(part, where)
    if kind == "input_file":
        return _file_part(part, where)
    raise BadRequest(f"{where}.type: {kind!r} is not a content part that deployments speaking only chat "
                     "completions can take", param=f"{where}.type")


def _image_part(part: dict, where: str) -> dict:
    url = part.get("image_url")
    if not url:
        field = "file_id" if part.get("file_id") else "image_url"
        raise BadRequest(f"{where}.{field}: deployments speaking only chat completions need the image inline; "
                         "send image_url (an https or data: URL)", param=f"{where}.{field}")
    image_url = {"url": url}
    if part.get("detail") is not None:
        image_url["detail"] = part["detail"]
    return {"type": "image_url", "image_url": image_url}


def _file_part(part: dict, where: str) -> dict:
    if not part.get("file_data"):
        field = next((name for name in ("file_id", "file_url") if part.get(name)), "file_data")
        raise BadRequest(f"{where}.{field}: deployments speaking only chat completions need the file inline; "
                         "send file_data (base64) with a filename", param=f"{where}.{field}")
    file = {"file_data": part["file_data"]}
    if part.get("filename") is not None:
        file["filename"] = part["filename"]
    return {"type": "file", "file": file}


def _tool_call(item: dict, where: str) -> dict:
    return {
        "id": _string(item, "call_id", where),
        "type": "function",
        "function": {"name": _string(item, "name", where), "arguments": _string(item, "arguments", where)},
    }


def _add_tool_call(messages: list[dict], tool_call: dict) -> None:
    # Chat models expect parallel calls in one assistant turn, and the text said
    # just before a call belongs to that same turn.
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant":
        last.setdefault("tool_calls", []).append(tool_call)
        return
    messages.append({"role": "assistant", "content": None, "tool_calls": [tool_call]})


def _tool_result(item: dict, where: str) -> dict:
    output = item.get("output")
    if isinstance(output, list):
        parts = [_content_part(part, f"{where}.output[{index}]") for index, part in enumerate(output)]
        not_text = next((index for index, part in enumerate(parts) if part["type"] != "text"), None)
        if not_text is not None:
            param = f"{where}.output[{not_text}].type"
            raise BadRequest(f"{param}: a tool result can only hold text for deployments speaking only chat "
                             "completions", param=param)
        output = PART_SEPARATOR.join(part["text"] for part in parts)
    elif not isinstance(output, str):
        raise BadRequest(f"{where}.output: must be a string or a list of content parts", param=f"{where}.output")
    return {"role": "tool", "tool_call_id": _string(item, "call_id", where), "content": output}


def _string(item: dict, field: str, where: str) -> str:
    value = item.get(field)
    if not isinstance(value, str):
        raise BadRequest(f"{where}.{field}: must be a string", param=f"{where}.{field}")
    return value
