"""The public dashboards of the platform's own figures (/insights/)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
