from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from .errors import not_found
from .views import ApiRootView, ImageSearchView, ProductViewSet, TokenView

router = SimpleRouter()
router.register("products", ProductViewSet, basename="product")

app_name = "api"
urlpatterns = [
    path("", ApiRootView.as_view(), name="root"),
    path("", include(router.urls)),
    path("search/image/", ImageSearchView.as_view(), name="search-image"),
    path("auth/token/", TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^[\s\S]*$", not_found),  # any path, one with a newline (%0A) too
]
