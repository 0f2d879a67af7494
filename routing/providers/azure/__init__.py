from routing.providers.azure.adapter import AzureAdapter

__all__ = ["AzureAdapter"]
