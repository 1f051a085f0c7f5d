"""Staff pages of Events and courses."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
