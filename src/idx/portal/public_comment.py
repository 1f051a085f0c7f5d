"""Resident pages of Public comment (パブリックコメント)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
