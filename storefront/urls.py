from django.urls import path, re_path

from recommender.kept_photos import DIGEST_PATTERN

from . import views

app_name = "storefront"
urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("products/<int:pk>/", views.product_detail, name="product"),
    path("search/photo/", views.photo_search, name="photo_search"),
    re_path(
        rf"^search/photo/(?P<digest>{DIGEST_PATTERN})/$",
        views.photo_results,
        name="photo_results",
    ),
]
