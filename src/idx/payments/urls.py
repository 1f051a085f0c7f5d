from django.urls import path

from idx.payments import views

app_name = "payments"

urlpatterns = [
    path("payments/webhooks/<slug:provider>/", views.webhook, name="webhook"),
]
