app_name = "demo_pay"
urlpatterns: list[object] = []
