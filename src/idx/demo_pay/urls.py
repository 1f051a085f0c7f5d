from django.urls import path

from idx.demo_pay import views

app_name = "demo_pay"

urlpatterns = [
    path("api/v1/checkouts", views.api_checkouts, name="api_checkouts"),
    path("api/v1/checkouts/<str:public_id>", views.api_checkout, name="api_checkout"),
    path("api/v1/checkouts/<str:public_id>/refunds", views.api_refunds, name="api_refunds"),
    path("api/v1/settlements", views.api_settlements, name="api_settlements"),
    path("checkout/<str:public_id>/", views.checkout_page, name="checkout"),
]
