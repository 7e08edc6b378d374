from django.conf import settings
from rest_framework.parsers import MultiPartParser

from .errors import upload_too_large


class UploadParser(MultiPartParser):
    """multipart/form-data that refuses a request over
    DATA_UPLOAD_MAX_MEMORY_SIZE before reading it."""

    def parse(self, stream, media_type=None, parser_context=None):
        """The multipart data; raises PayloadTooLarge (413) from the Content-Length alone when it
        is over the limit."""
        size = int(parser_context["request"].META.get("CONTENT_LENGTH") or 0)
        if size > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise upload_too_large(size)
        return super().parse(stream, media_type, parser_context)
