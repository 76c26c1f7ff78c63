"""Validation of UPU S10 postal item identifiers (international tracking numbers).

An S10 identifier has 13 characters, e.g. ``RR287043775IN``:

* 2 upper-case letters: the service indicator (``RR``);
* 8 digits: the serial number (``28704377``);
* 1 digit: the check digit (``5``);
* 2 upper-case letters: the ISO 3166-1 alpha-2 code of the country of the issuing postal
  operator (``IN``).

Check digit: the serial digits are weighted 8, 6, 4, 2, 3, 5, 9, 7 from left to right and
summed to S; C = 11 - (S mod 11), then C = 10 becomes 0 and C = 11 becomes 5.

Rules applied by :func:`validate_s10`, in this order (the first failure is reported):

1. Shape: after removing all whitespace and upper-casing, the value must match
   ``[A-Z]{2}[0-9]{8}[0-9][A-Z]{2}``.
2. Service indicator: the UPU reserves whole ranges that "cannot be assigned as valid
   service indicator values": ``JA-JZ``, ``KA-KZ``, ``SA-SZ``, ``TA-TZ`` and ``WA-WZ``
   (every indicator starting with J, K, S, T or W). These are rejected.
3. Check digit: must equal the value computed from the serial.
4. Country: must be an officially assigned ISO 3166-1 alpha-2 code
   (:data:`donations.countries.ISO_3166_ALPHA2`).

Service indicators that the standard lists as unassigned (e.g. ``FA-FZ``, ``IA-IZ``,
``OA-OZ``) or as reserved for domestic, bilateral or multilateral use (e.g. ``BA-BZ``,
``ZA-ZZ``) are accepted: operators do issue them, and the check digit still protects
against typing errors.

Sources for the service indicator rules: the service indicator table of the UPU S10
standard as reproduced in the Wikipedia article "S10 (UPU standard)"
(https://en.wikipedia.org/wiki/S10_(UPU_standard), which marks JA-JZ and KA-KZ as
"Reserved"), and the Barcode Writer in Pure PostScript documentation for its UPU S10
encoder (https://github.com/bwipp/postscriptbarcode/wiki/UPU-S10: "Service indicators
beginning with J, K, S, T or W are reserved and are refused"). The full UPU S10 standard
text itself is not freely available.
"""

from __future__ import annotations

import re
from typing import Literal

from donations.countries import ISO_3166_ALPHA2
from donations.i18n import N_, ngettext
from donations.i18n import gettext as _

__all__ = [
    "RESERVED_SERVICE_LETTERS",
    "S10Error",
    "S10ErrorKind",
    "check_digit",
    "make_s10",
    "validate_s10",
]

S10ErrorKind = Literal["format", "reserved_service", "check_digit", "country"]

RESERVED_SERVICE_LETTERS: frozenset[str] = frozenset("JKSTW")
"""First letters of the service indicator ranges reserved by the UPU (JA-JZ, KA-KZ, ...)."""

_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_SHAPE = re.compile(r"[A-Z]{2}[0-9]{8}[0-9][A-Z]{2}")
_SERIAL = re.compile(r"[0-9]{8}")
_SERVICE = re.compile(r"[A-Z]{2}")
_EXPECTED_SHAPE = N_(
    "2 upper-case letters (service indicator) + 8 digits (serial number) + 1 check digit"
    " + 2 upper-case letters (country code), 13 characters, e.g. RR287043775IN"
)
_RESERVED_RANGES = ", ".join(f"{letter}A-{letter}Z" for letter in sorted(RESERVED_SERVICE_LETTERS))


class S10Error(ValueError):
    """Raised when a string is not a valid S10 identifier.

    ``str(error)`` says what is wrong in plain words, in the current language (see
    :mod:`donations.i18n`; English outside a page's request); ``kind`` classifies the
    problem as ``"format"``, ``"reserved_service"``, ``"check_digit"`` or ``"country"``.
    """

    def __init__(self, message: str, kind: S10ErrorKind) -> None:
        """Store the human-readable ``message`` and the machine-readable ``kind``."""
        super().__init__(message)
        self.kind: S10ErrorKind = kind


def check_digit(serial: str) -> int:
    """Return the S10 check digit (0-9) of an 8-digit serial number such as ``"47312482"``.

    Raises:
        S10Error: (kind ``"format"``) if ``serial`` is not exactly 8 ASCII digits.
    """
    if not _SERIAL.fullmatch(serial):
        raise S10Error(
            _("serial number must be exactly 8 digits; got {serial!r}").format(serial=serial),
            "format",
        )
    total = sum(int(digit) * weight for digit, weight in zip(serial, _WEIGHTS, strict=True))
    digit = 11 - total % 11
    if digit == 10:
        return 0
    if digit == 11:
        return 5
    return digit


def _check_service(service: str) -> None:
    """Raise S10Error if the 2-letter ``service`` indicator lies in a reserved range."""
    letter = service[0]
    if letter in RESERVED_SERVICE_LETTERS:
        raise S10Error(
            _(
                "service indicator {service} is in the reserved range {range}"
                " (reserved by the UPU: {reserved})"
            ).format(service=service, range=f"{letter}A-{letter}Z", reserved=_RESERVED_RANGES),
            "reserved_service",
        )


def _check_country(country: str) -> None:
    """Raise S10Error if ``country`` is not an ISO 3166-1 alpha-2 code."""
    if country not in ISO_3166_ALPHA2:
        raise S10Error(
            _(
                "unknown country code {country}: the last 2 letters must be the ISO 3166-1"
                " alpha-2 code of the issuing postal operator's country"
            ).format(country=country),
            "country",
        )


def validate_s10(raw: str) -> str:
    """Return the normalised 13-character S10 identifier in ``raw``, or raise S10Error.

    Surrounding and internal whitespace is removed and letters are upper-cased, so
    ``" rr 287 043 775 in "`` gives ``"RR287043775IN"``. See the module docstring for the
    rules applied.

    Raises:
        S10Error: with a message naming the problem: bad format (with the expected shape),
            a reserved service indicator, a wrong check digit (with the expected digit) or
            an unknown country code.
    """
    value = "".join(raw.split()).upper()
    if not _SHAPE.fullmatch(value):
        raise S10Error(
            ngettext(
                "bad format: expected {shape}; got {value!r} ({length} character)",
                "bad format: expected {shape}; got {value!r} ({length} characters)",
                len(value),
            ).format(shape=_(_EXPECTED_SHAPE), value=value, length=len(value)),
            "format",
        )
    service, serial, digit, country = value[:2], value[2:10], int(value[10]), value[11:]
    _check_service(service)
    expected = check_digit(serial)
    if digit != expected:
        raise S10Error(
            _("wrong check digit {digit} for serial number {serial}: expected {expected}").format(
                digit=digit, serial=serial, expected=expected
            ),
            "check_digit",
        )
    _check_country(country)
    return value


def make_s10(service: str, serial: int, country: str) -> str:
    """Build a valid S10 identifier, computing its check digit (used for demo data).

    ``make_s10("RR", 28704377, "IN")`` returns ``"RR287043775IN"``. ``service`` and
    ``country`` are upper-cased.

    Raises:
        S10Error: if ``service`` is not 2 letters or is in a reserved range, ``serial`` is
            not in 0..99999999, or ``country`` is not an ISO 3166-1 alpha-2 code.
    """
    service = service.strip().upper()
    country = country.strip().upper()
    if not _SERVICE.fullmatch(service):
        raise S10Error(
            _("service indicator must be 2 letters A-Z; got {service!r}").format(service=service),
            "format",
        )
    if isinstance(serial, bool) or not 0 <= serial <= 99_999_999:
        raise S10Error(
            _("serial number must be in 0..99999999; got {serial!r}").format(serial=serial),
            "format",
        )
    _check_service(service)
    _check_country(country)
    serial_text = f"{serial:08d}"
    return f"{service}{serial_text}{check_digit(serial_text)}{country}"
