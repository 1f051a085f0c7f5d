"""Resident pages of Participation (processes, proposals, supports, budgeting)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
