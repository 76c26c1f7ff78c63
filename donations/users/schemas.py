from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from donations.auth.passwords import password_problem
from donations.i18n import gettext as _
from donations.models import Role, User

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def _check_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _check_confirmation(value: str, info: ValidationInfo) -> str:
    """The confirmation must repeat the password (checked only once the password is valid)."""
    password = info.data.get("password")
    if password is not None and value != password:
        raise ValueError(_("the passwords do not match"))
    return value


NewPassword = Annotated[str, AfterValidator(_check_password)]
"""A password as the rules want it (auth.passwords)."""
PasswordAgain = Annotated[str, AfterValidator(_check_confirmation)]
"""The password typed a second time, on the forms (declared after `password`)."""


class UserCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "tonga.receiving",
                    "password": "a long passphrase",
                    "role": "recipient",
                    "organisation": "TOPOST",
                    "display_name": "Sione Fifita",
                    "language": "en",
                }
            ]
        }
    )

    username: str = Field(description="2-64 lower-case letters, digits, dots, dashes, underscores.")
    password: NewPassword = Field(description="At least 10 characters.")
    role: Role
    organisation: str | None = Field(
        None, description="Organisation code; required for donors and recipients."
    )
    display_name: str | None = Field(None, max_length=200)
    language: Literal["en", "fr"] = "en"

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.strip().lower()
        if not USERNAME_RE.match(value):
            raise ValueError(_("use 2-64 lower-case letters, digits, dots, dashes or underscores"))
        return value

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, value: str | None) -> str | None:
        value = value.strip() if value is not None else None
        return value or None  # blank: the username is shown instead


class UserCreateForm(UserCreate):
    """The web form: UserCreate with the password typed twice."""

    password_confirm: PasswordAgain = Field("", validate_default=True)


class PasswordUpdate(BaseModel):
    """A new password set by a coordinator, typed twice."""

    password: NewPassword
    password_confirm: PasswordAgain = Field("", validate_default=True)


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    organisation: str | None = Field(description="Organisation code, or null.")
    active: bool
    language: str

    @classmethod
    def of(cls, user: User) -> UserRead:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            organisation=user.org_code,
            active=user.active,
            language=user.language,
        )
