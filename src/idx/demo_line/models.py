"""What the demo LINE stand-in received: pushes, as a LINE user's phone would show them."""

from __future__ import annotations

from django.db import models


class DemoLinePush(models.Model):
    to = models.CharField(max_length=64, db_index=True)
    text = models.TextField()
    retry_key = models.CharField(max_length=36, unique=True, null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.to}:{self.pk}"
