"""The DX action plan's public progress page (/dx-plan/)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
