from django.urls import path

from idx.demo_idp import views

app_name = "demo_idp"

urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path("jwks/", views.jwks, name="jwks"),
    path("authorize/", views.authorize, name="authorize"),
    path("token/", views.token, name="token"),
    path("userinfo/", views.userinfo, name="userinfo"),
    path("sign-transactions/", views.sign_transactions, name="sign_transactions"),
    path("sign-transactions/<uuid:transaction_id>/result", views.sign_result, name="sign_result"),
    path("crl/", views.crl, name="crl"),
]
