"""Public tags for items and shipments.

A tag is 12 characters of Crockford base32 (alphabet ``0123456789ABCDEFGHJKMNPQRSTVWXYZ``,
i.e. digits and upper-case letters without I, L, O and U), encoding 60 random bits drawn from
:mod:`secrets`. Tags are short enough to read out over the phone or copy from a label, and
are shown grouped in fours for readability (``7KQ2-9XHM-3PDA``).

Input is forgiving, following Crockford's decoding rules: case is ignored, dashes and
whitespace are dropped, ``I`` and ``L`` are read as ``1`` and ``O`` as ``0``. ``U`` is not
part of the alphabet and is rejected.
"""

from __future__ import annotations

import secrets

from donations.i18n import N_, ngettext
from donations.i18n import gettext as _

__all__ = [
    "ALPHABET",
    "TAG_LENGTH",
    "InvalidTag",
    "group_tag",
    "is_tag",
    "new_tag",
    "normalize_tag",
]

ALPHABET: str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base32 alphabet: the 32 symbols a tag is made of, in value order."""

TAG_LENGTH = 12
"""Number of characters in a tag (12 x 5 bits = 60 bits)."""

_BITS_PER_CHAR = 5
_TAG_BITS = TAG_LENGTH * _BITS_PER_CHAR
_GROUP_SIZE = 4

_ALPHABET_SET = frozenset(ALPHABET)
# Look-alike letters that Crockford base32 decodes to digits.
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Separators people type or paste: ASCII hyphen plus the common Unicode dashes and minus.
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")

_RULE = N_("tag must be 12 characters of Crockford base32 (0-9, A-Z without I, L, O, U)")


class InvalidTag(ValueError):
    """Raised when a string cannot be read as a tag.

    ``str(error)`` is a human-readable message stating the rule and what was wrong, in the
    current language (see :mod:`donations.i18n`), e.g.
    ``tag must be 12 characters of Crockford base32 (0-9, A-Z without I, L, O, U); got 11
    characters`` or ``...; character 'U' is not allowed``.
    """

    def __init__(self, problem: str) -> None:
        """Build the message from the general rule and the specific ``problem`` (both
        already in the current language)."""
        self.problem = problem
        # Translators: the rule a tag must follow, then what is wrong with this one.
        super().__init__(_("{rule}; {problem}").format(rule=_(_RULE), problem=problem))


def new_tag() -> str:
    """Return a fresh random tag: 12 upper-case Crockford base32 characters (60 bits)."""
    value = secrets.randbits(_TAG_BITS)
    chars = []
    for _position in range(TAG_LENGTH):
        chars.append(ALPHABET[value & 0b11111])
        value >>= _BITS_PER_CHAR
    return "".join(reversed(chars))


def normalize_tag(raw: str) -> str:
    """Return the canonical 12-character form of a tag typed or pasted by a person.

    Case is ignored, dashes and whitespace anywhere are dropped, ``I``/``L`` are read as
    ``1`` and ``O`` as ``0``.

    Raises:
        InvalidTag: if a character outside the alphabet remains (its message names the
            first such character, e.g. ``U``) or the result is not exactly 12 characters
            long (its message gives the length found).
    """
    chars = []
    for original in raw:
        if original.isspace() or original in _DASHES:
            continue
        # Per character, so that e.g. "ß".upper() == "SS" cannot change the length.
        ch = original.upper().translate(_ALIASES)
        if ch not in _ALPHABET_SET:
            shown = ch if len(ch) == 1 else original
            raise InvalidTag(_("character {char!r} is not allowed").format(char=shown))
        chars.append(ch)
    if len(chars) != TAG_LENGTH:
        raise InvalidTag(
            ngettext("got {n} character", "got {n} characters", len(chars)).format(n=len(chars))
        )
    return "".join(chars)


def group_tag(tag: str) -> str:
    """Return a tag split into dash-separated groups of four: ``7KQ2-9XHM-3PDA``.

    The input is normalised first, so any accepted spelling of a tag can be grouped.

    Raises:
        InvalidTag: if ``tag`` is not a valid tag.
    """
    canonical = normalize_tag(tag)
    return "-".join(
        canonical[start : start + _GROUP_SIZE] for start in range(0, TAG_LENGTH, _GROUP_SIZE)
    )


def is_tag(raw: str) -> bool:
    """Return whether ``raw`` is accepted by :func:`normalize_tag`."""
    try:
        normalize_tag(raw)
    except InvalidTag:
        return False
    return True
