"""The DX action plan for staff and the 推進本部 (/staff/dx-plan/)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
