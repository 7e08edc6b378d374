from django.urls import re_path

from . import views

app_name = "catalog"
urlpatterns = [re_path(r"^(?P<path>.*)$", views.photo_file, name="photo-file")]
