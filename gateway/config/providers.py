"""LiteLLM's provider prefixes (the text before "/" in `litellm_params.model`):
where each one's calls go, which environment variables hold its base URL and
key, and which provider a model name without a prefix belongs to.

One table, not one adapter per provider: most providers speak OpenAI's API at
a known base URL. A provider is only ever sent its own key: unlike LiteLLM,
a missing groq key never falls back to OPENAI_API_KEY (which would hand the
OpenAI key to another company's server).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """How to reach one provider. `api_base` None: the deployment must name one."""

    api_base: str | None = None
    base_env: tuple[str, ...] = ()
    key_env: tuple[str, ...] = ()
    # Appended to a base URL that does not already end with it (Ollama's
    # OpenAI-compatible API lives under /v1 of the server LiteLLM users name).
    base_suffix: str = ""
    # Prepended to a model name that does not start with it (Fireworks).
    model_prefix: str = ""


def _openai_like(api_base: str | None, name: str, *keys: str, suffix: str = "", model_prefix: str = "") -> ProviderSpec:
    return ProviderSpec(api_base=api_base, base_env=(f"{name}_API_BASE",), key_env=keys or (f"{name}_API_KEY",),
                        base_suffix=suffix, model_prefix=model_prefix)


# Providers the gateway serves over OpenAI's chat completions API, with
# LiteLLM's default base URL and variable names.
OPENAI_COMPATIBLE: dict[str, ProviderSpec] = {
    "openai": ProviderSpec("https://api.openai.com/v1", ("OPENAI_BASE_URL", "OPENAI_API_BASE"), ("OPENAI_API_KEY",)),
    "text-completion-openai": ProviderSpec("https://api.openai.com/v1", ("OPENAI_BASE_URL", "OPENAI_API_BASE"),
                                           ("OPENAI_API_KEY",)),
    "groq": _openai_like("https://api.groq.com/openai/v1", "GROQ"),
    "openrouter": _openai_like("https://openrouter.ai/api/v1", "OPENROUTER", "OPENROUTER_API_KEY", "OR_API_KEY"),
    "together_ai": _openai_like("https://api.together.xyz/v1", "TOGETHER_AI", "TOGETHER_API_KEY",
                                "TOGETHER_AI_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_AI_TOKEN"),
    "deepseek": _openai_like("https://api.deepseek.com/beta", "DEEPSEEK"),
    "mistral": _openai_like("https://api.mistral.ai/v1", "MISTRAL", suffix="/v1"),
    "codestral": _openai_like("https://codestral.mistral.ai/v1", "CODESTRAL"),
    "fireworks_ai": _openai_like("https://api.fireworks.ai/inference/v1", "FIREWORKS", "FIREWORKS_API_KEY",
                                 "FIREWORKS_AI_API_KEY", "FIREWORKSAI_API_KEY", "FIREWORKS_AI_TOKEN",
                                 model_prefix="accounts/fireworks/models/"),
    "xai": _openai_like("https://api.x.ai/v1", "XAI"),
    "perplexity": _openai_like("https://api.perplexity.ai", "PERPLEXITY", "PERPLEXITYAI_API_KEY",
                               "PERPLEXITY_API_KEY"),
    # Ollama's own API (/api/chat) is not OpenAI's; its OpenAI-compatible one is under /v1.
    "ollama": _openai_like("http://localhost:11434", "OLLAMA", suffix="/v1"),
    "ollama_chat": _openai_like("http://localhost:11434", "OLLAMA", suffix="/v1"),
    "deepinfra": _openai_like("https://api.deepinfra.com/v1/openai", "DEEPINFRA"),
    "cerebras": _openai_like("https://api.cerebras.ai/v1", "CEREBRAS"),
    "sambanova": _openai_like("https://api.sambanova.ai/v1", "SAMBANOVA"),
    "nvidia_nim": _openai_like("https://integrate.api.nvidia.com/v1", "NVIDIA_NIM"),
    "github": _openai_like("https://models.inference.ai.azure.com", "GITHUB"),
    "moonshot": _openai_like("https://api.moonshot.ai/v1", "MOONSHOT"),
    "minimax": _openai_like("https://api.minimax.io/v1", "MINIMAX", suffix="/v1"),
    "anyscale": _openai_like("https://api.endpoints.anyscale.com/v1", "ANYSCALE"),
    "volcengine": _openai_like("https://ark.cn-beijing.volces.com/api/v3", "VOLCENGINE"),
    "dashscope": _openai_like("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE"),
    "nebius": _openai_like("https://api.studio.nebius.ai/v1", "NEBIUS"),
    "novita": _openai_like("https://api.novita.ai/v3/openai", "NOVITA"),
    "featherless_ai": _openai_like("https://api.featherless.ai/v1", "FEATHERLESS"),
    "nscale": _openai_like("https://inference.api.nscale.com/v1", "NSCALE"),
    "meta_llama": _openai_like("https://api.llama.com/compat/v1", "LLAMA"),
    "galadriel": _openai_like("https://api.galadriel.com/v1", "GALADRIEL"),
    "friendliai": _openai_like("https://api.friendli.ai/serverless/v1", "FRIENDLI", "FRIENDLIAI_API_KEY",
                               "FRIENDLI_TOKEN"),
    "lambda_ai": _openai_like("https://api.lambda.ai/v1", "LAMBDA"),
    "hyperbolic": _openai_like("https://api.hyperbolic.xyz/v1", "HYPERBOLIC"),
    "llamafile": _openai_like("http://127.0.0.1:8080/v1", "LLAMAFILE"),
    # Self-hosted servers: the deployment (or the variable) must say where.
    "hosted_vllm": _openai_like(None, "HOSTED_VLLM"),
    "lm_studio": _openai_like(None, "LM_STUDIO"),
    "litellm_proxy": _openai_like(None, "LITELLM_PROXY"),
    "openai_like": ProviderSpec(),
    "custom_openai": ProviderSpec(),
}
AZURE = ProviderSpec(None, ("AZURE_API_BASE",), ("AZURE_OPENAI_API_KEY", "AZURE_API_KEY"))
SERVED: dict[str, ProviderSpec] = {
    **OPENAI_COMPATIBLE,
    "azure": AZURE,
    "azure_text": AZURE,
    "mock": ProviderSpec(),
}
# Prefixes LiteLLM knows whose APIs are not OpenAI's (or need more than a base
# URL and a key): recognised, so a deployment naming one is skipped with the
# reason, never mistaken for a model name.
NATIVE = frozenset({
    "anthropic", "anthropic_text", "vertex_ai", "vertex_ai_beta", "gemini", "bedrock", "bedrock_converse",
    "sagemaker", "sagemaker_chat", "cohere", "cohere_chat", "azure_ai", "huggingface", "github_copilot",
    "replicate", "watsonx", "watsonx_text", "databricks", "voyage", "jina_ai", "predibase", "clarifai", "ai21",
    "ai21_chat", "nlp_cloud", "aleph_alpha", "petals", "palm", "baseten", "cloudflare", "triton", "vllm",
    "text-completion-codestral", "snowflake", "oci", "elevenlabs", "assemblyai", "deepgram", "infinity",
    "maritalk", "empower", "topaz", "xinference", "vercel_ai_gateway", "datarobot", "recraft",
})

# Known OpenAI-compatible hosts in an api_base name their provider (LiteLLM
# reads `model: llama3-8b` with a Groq api_base as a groq deployment).
_HOSTS = {
    "api.groq.com": "groq", "api.perplexity.ai": "perplexity", "api.mistral.ai": "mistral",
    "api.deepseek.com": "deepseek", "api.deepinfra.com": "deepinfra", "api.endpoints.anyscale.com": "anyscale",
    "integrate.api.nvidia.com": "nvidia_nim", "api.cerebras.ai": "cerebras", "api.sambanova.ai": "sambanova",
    "codestral.mistral.ai": "codestral", "api.friendli.ai": "friendliai", "api.galadriel.com": "galadriel",
    "api.llama.com": "meta_llama", "openrouter.ai": "openrouter", "api.together.xyz": "together_ai",
    "api.x.ai": "xai", "api.fireworks.ai": "fireworks_ai",
}
# Model names without a prefix, by family, as LiteLLM's model lists place them.
_NAME_PATTERNS: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(pattern), provider) for pattern, provider in (
    (r"(gpt-3\.5-turbo-instruct|davinci-002|babbage-002)(-.*)?", "text-completion-openai"),
    (r"(gpt-|chatgpt-|o1|o3|o4-|codex-|computer-use-|ft:gpt-|text-embedding-|dall-e-|gpt-image-|whisper-|tts-"
     r"|omni-moderation-|text-moderation-).*", "openai"),
    (r"claude-.*", "anthropic"),
    (r"(gemini-|text-bison|chat-bison|code-bison|codechat-bison|textembedding-gecko|text-embedding-00|"
     r"text-multilingual-embedding-|imagen-).*", "vertex_ai"),
    (r"(command|embed-english-|embed-multilingual-|rerank-).*", "cohere"),
    (r"(anthropic|amazon|meta|cohere|ai21|mistral|us|eu|apac)\.[a-z].*", "bedrock"),
))


class UnknownProvider(ValueError):
    """The model names no provider LiteLLM would find; the message says what to write."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a deployment's calls go, once prefixes, inference and environment defaults are applied."""

    provider: str
    provider_model: str
    api_base: str | None
    api_key: str | None


def is_known(provider: str) -> bool:
    return provider in SERVED or provider in NATIVE


def split_model(model: str, custom_llm_provider: str | None = None, api_base: str | None = None) -> tuple[str, str]:
    """(provider, provider model) of `litellm_params.model`, in LiteLLM's order:
    `custom_llm_provider`, then a known prefix, then the api_base's host, then
    the model's name; "*" alone is OpenAI's."""
    if custom_llm_provider:
        prefix, slash, rest = model.partition("/")
        return custom_llm_provider, rest if slash and prefix == custom_llm_provider else model
    prefix, slash, rest = model.partition("/")
    if slash and is_known(prefix):
        return prefix, rest
    host = (urlsplit(api_base).hostname or "") if api_base else ""
    for known_host, provider in _HOSTS.items():
        if host == known_host or host.endswith("." + known_host):
            return provider, model
    if model == "*":
        return "openai", model
    for pattern, provider in _NAME_PATTERNS:
        if pattern.fullmatch(model):
            return provider, model
    if slash:
        raise UnknownProvider(f"{prefix!r} is not a provider LiteLLM knows; write \"<provider>/{model}\", e.g. "
                              f"openai/{model} with the server's api_base")
    raise UnknownProvider(f"cannot tell the provider of {model!r}; write \"<provider>/<model>\", e.g. "
                          f"openai/{model}")


def target(model: str, params: Mapping, environ: Mapping[str, str]) -> Target:
    """Where `model` goes with these litellm_params: the deployment's own
    api_base and api_key first, then the provider's variables, then its default base."""
    provider, provider_model = split_model(model, params.get("custom_llm_provider"),
                                           params.get("api_base") or params.get("base_url"))
    spec = SERVED.get(provider, ProviderSpec())
    api_base = params.get("api_base") or params.get("base_url") or _first(spec.base_env, environ) or spec.api_base
    if api_base and spec.base_suffix and not api_base.rstrip("/").endswith(spec.base_suffix):
        api_base = api_base.rstrip("/") + spec.base_suffix
    if spec.model_prefix and not provider_model.startswith(spec.model_prefix.split("/")[0] + "/"):
        provider_model = spec.model_prefix + provider_model
    api_key = params.get("api_key") or _first(spec.key_env, environ)
    return Target(provider, provider_model, api_base, api_key)


def environment_of_providers(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables `target` may read, copied once at load time so that a
    wildcard deployment resolved later reads the same values."""
    names = {name for spec in SERVED.values() for name in (*spec.base_env, *spec.key_env)}
    return {name: environ[name] for name in sorted(names) if environ.get(name)}


def _first(names: tuple[str, ...], environ: Mapping[str, str]) -> str | None:
    return next((environ[name] for name in names if environ.get(name)), None)
