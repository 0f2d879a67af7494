"""What the gateway itself keeps in the database."""
from django.db import models


class InstanceSecret(models.Model):
    """A random secret drawn once and shared by every process (gateway/ui/secret.py)."""

    name = models.CharField(primary_key=True, max_length=64)
    value = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
