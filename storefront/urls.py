from django.urls import path

from . import views

app_name = "storefront"
urlpatterns = [
    path("", views.home, name="home"),
    path("products/<int:pk>/", views.product_detail, name="product"),
    path("search/photo/", views.photo_search, name="photo_search"),
]
