"""The API's parsers (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``): DRF's, with the input
limits of :mod:`config.limits` applied to every body before a view sees it.

* JSON: a body larger than ``INPUT_JSON_MAX_BYTES`` or nested deeper than
  ``INPUT_JSON_MAX_DEPTH`` is a 400 ``{"detail": …}``; the depth is read from the bytes
  before decoding, so Python's decoder never recurses 50,000 levels deep.
* Every string of a body — JSON keys and values at any depth (the coaching events'
  ``data`` too), form and multipart fields — with a NUL or another control character
  (tab and line breaks aside) is a 400 naming the field:
  ``{"description": ["Remove the control character U+0000 …"]}``; a nested one names
  its path (``data.note``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.settings import api_settings
from rest_framework.utils import json

from config.limits import json_depth_check, json_text_problems, text_problem


def _refuse_text(problem: tuple[str, str] | None, *, top_level_keys: bool) -> None:
    """Raise a 400 in DRF's shape for a control character found (``(path, message)``),
    keyed by the top-level field it is in (the message gives the full path when nested)."""
    if problem is None:
        return
    path, message = problem
    if not top_level_keys or not path:
        raise ValidationError({"detail": f"{message} (at {path or 'the body'})"})
    field = path.split(".", 1)[0].split("[", 1)[0]
    raise ValidationError({field: [message if path == field else f"{message} (at {path})"]})


class JSONParser(parsers.BaseParser):
    """DRF's JSON parser with the size, depth and text limits.

    Not a subclass of DRF's: DRF reads a ``JSONParser``'s body through ``request.body``,
    where Django refuses one over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with an HTML page; this
    parser reads the stream itself, at most ``INPUT_JSON_MAX_BYTES`` + 1 bytes, and answers
    any larger body in the API's shape."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer
    strict = api_settings.STRICT_JSON

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        limit = settings.INPUT_JSON_MAX_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise ParseError(f"The JSON body is larger than {limit:,} bytes.")
        depth_limit = settings.INPUT_JSON_MAX_DEPTH
        at = json_depth_check(raw, limit=depth_limit)
        if at is not None:
            raise ParseError(f"The JSON body is nested deeper than {depth_limit} levels (at byte {at}).")
        try:
            data = json.loads(raw.decode(encoding), parse_constant=json.strict_constant if self.strict else None)
        except (ValueError, RecursionError) as exc:  # RecursionError: only if the scan were bypassed
            raise ParseError(f"JSON parse error - {exc}") from None
        _refuse_text(next(json_text_problems(data), None), top_level_keys=isinstance(data, dict))
        return data


def _form_problem(data: Any) -> tuple[str, str] | None:
    for key, values in data.lists():
        problem = text_problem(key, multiline=False)
        if problem is not None:
            return ascii(key), f"In a name: {problem}"
        for value in values:
            if isinstance(value, str):
                problem = text_problem(value, multiline=True)
                if problem is not None:
                    return key, problem
    return None


class FormParser(parsers.FormParser):
    """DRF's form parser with the text limits."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        _refuse_text(_form_problem(data), top_level_keys=True)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser with the text limits on the form fields (files are read by
    whoever takes them: the CSV imports check every cell)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_text(_form_problem(parsed.data), top_level_keys=True)
        return parsed
