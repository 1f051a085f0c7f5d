from __future__ import annotations

from django.urls import path

from ceiling import views

urlpatterns = [path("ceiling/submit", views.submit)]
