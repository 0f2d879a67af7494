"""The OpenAI Responses API served by deployments that only speak chat
completions (vLLM, Ollama, the local mock).

`request`, `reply` and `events` are pure translations over dicts, with no I/O:
a Responses body to a chat body, a chat.completion to a Response object, and a
chat chunk stream to the Responses event stream.
"""
