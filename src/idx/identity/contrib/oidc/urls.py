from django.urls import path

from idx.identity.contrib.oidc import views

app_name = "oidc"

urlpatterns = [
    path("my-number-card/start/", views.start_resident, name="resident_start"),
    path("<slug:slug>/start/", views.start, name="start"),
    path("<slug:slug>/callback/", views.callback, name="callback"),
]
