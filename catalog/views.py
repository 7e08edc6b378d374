from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render

from .selectors import product_list


def home(request):
    page = Paginator(product_list(), settings.CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalog/home.html", {"page": page})
