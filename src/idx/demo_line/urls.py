from django.urls import path

from idx.demo_line import views

app_name = "demo_line"

urlpatterns = [
    path("", views.phone, name="phone"),
    path("v2/bot/message/push", views.push, name="push"),
]
