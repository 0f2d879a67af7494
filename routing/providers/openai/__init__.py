from routing.providers.openai.adapter import OpenAIAdapter

__all__ = ["OpenAIAdapter"]
