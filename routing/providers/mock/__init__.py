from routing.providers.mock.adapter import MockAdapter

__all__ = ["MockAdapter"]
