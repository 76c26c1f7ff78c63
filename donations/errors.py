"""Domain errors carry their HTTP status; one handler renders them as {"detail": ...}.

The message is written in the language of the request when the error is raised
(`_("...").format(...)`): English on the JSON API, the page's language on the pages. The
field at fault is kept apart from it, so that a form can show the message next to that field
while the API's `detail` still reads "field: message".
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class DomainError(Exception):
    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        detail = f"{field}: {message}" if field else message
        super().__init__(detail)
        self.message = message  # for a person: no field name in front
        self.field = field  # the field (or row, or path) at fault, if any
        self.detail = detail  # the API's text: "field: message"
        self.headers = headers  # HTTP headers of the answer (Retry-After, say)
        self.extra = extra  # more members of the JSON answer


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class PayloadTooLarge(DomainError):
    status_code = 413


class Invalid(DomainError):
    """Input that is well-formed JSON but wrong (422): `field` names the field or row."""

    status_code = 422


def parse_json_body(model: type[M], raw: bytes) -> M:
    """A JSON request body read by hand (`await request.body()`), validated as FastAPI
    validates a declared one: a 422 naming the fields, under `body`."""
    if not raw:
        missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        raise RequestValidationError([missing])
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
