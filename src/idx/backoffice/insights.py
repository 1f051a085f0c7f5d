"""The EBPM dashboards, KPIs and interventions for staff (/staff/insights/)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
