"""The API's one body parser: DRF's JSON parser, which let JSON nested deeper than Python's stack escape as a 500."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """A body like `[[[[…]]]]` 100,000 deep raises RecursionError in the json module: anyone could send it to the
    public intake and fill the error log. It is a malformed body (400), as any other JSON we cannot read."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply.")) from None
