"""Tags: the public codes on items and shipments (`codes`), and looking them up."""

from donations.tags.codes import (
    ALPHABET,
    TAG_LENGTH,
    InvalidTag,
    group_tag,
    is_tag,
    new_tag,
    normalize_tag,
)

__all__ = [
    "ALPHABET",
    "TAG_LENGTH",
    "InvalidTag",
    "group_tag",
    "is_tag",
    "new_tag",
    "normalize_tag",
]
