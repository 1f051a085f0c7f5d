"""The project's URLs plus a view that fails, for the error-page tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from idx.urls import urlpatterns as project_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom: secret internals, resident taro@example.jp")


urlpatterns = [path("test-only/fail/", fail), *project_urlpatterns]
