"""Property tests of the public tags (donations/tags): 12 characters of Crockford base32,
shown in groups of four, read forgivingly (DESIGN.md, "Tags and QR codes")."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from donations.tags import (
    ALPHABET,
    TAG_LENGTH,
    InvalidTag,
    group_tag,
    is_tag,
    new_tag,
    normalize_tag,
)

PROPERTIES = settings(max_examples=300, derandomize=True, database=None, deadline=None)

TAG_RE = re.compile(f"[{ALPHABET}]{{{TAG_LENGTH}}}")
tags = st.text(alphabet=ALPHABET, min_size=TAG_LENGTH, max_size=TAG_LENGTH)
# What people type between the characters: nothing, dashes (ASCII and Unicode), spaces.
separators = st.sampled_from(["", "", "", "-", " ", "  ", "\t", "\u2013", "\u2212", " - "])
# How a person may write each character: its case, and the look-alikes read as 1 and 0.
LOOK_ALIKES = {"1": ["1", "I", "i", "L", "l"], "0": ["0", "O", "o"]}


@st.composite
def typed(draw: st.DrawFn, tag: str) -> str:
    """`tag` as a person might type it: any case, look-alike letters, any separators."""
    out = [draw(separators)]
    for ch in tag:
        spellings = LOOK_ALIKES.get(ch, [ch.upper(), ch.lower()])
        out.append(draw(st.sampled_from(spellings)))
        out.append(draw(separators))
    return "".join(out)


@PROPERTIES
@given(tags)
def test_a_grouped_tag_normalises_back_to_the_tag(tag: str) -> None:
    grouped = group_tag(tag)

    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", grouped)
    assert normalize_tag(grouped) == tag
    assert grouped.replace("-", "") == tag


@PROPERTIES
@given(st.data())
def test_any_way_of_typing_a_tag_reads_as_that_tag(data: st.DataObject) -> None:
    tag = data.draw(tags, label="tag")
    text = data.draw(typed(tag), label="typed")

    assert normalize_tag(text) == tag
    assert is_tag(text)
    assert group_tag(text) == group_tag(tag)


@PROPERTIES
@given(st.text(max_size=40))
def test_any_text_is_a_tag_or_an_invalid_tag(text: str) -> None:
    try:
        tag = normalize_tag(text)
    except InvalidTag as exc:
        assert not is_tag(text)
        assert str(exc).startswith("tag must be 12 characters of Crockford base32")
        return
    assert TAG_RE.fullmatch(tag), tag
    assert is_tag(text)
    assert normalize_tag(tag) == tag  # idempotent


@PROPERTIES
@given(st.text(alphabet=ALPHABET + "ILOilo- ", max_size=30))
def test_text_of_tag_characters_is_a_tag_exactly_when_twelve_remain(text: str) -> None:
    significant = [c for c in text if c not in "- "]

    if len(significant) == TAG_LENGTH:
        assert TAG_RE.fullmatch(normalize_tag(text))
    else:
        count = len(significant)
        unit = "character" if count == 1 else "characters"
        with pytest.raises(InvalidTag, match=f"got {count} {unit}$"):
            normalize_tag(text)


@PROPERTIES
@given(tags, st.integers(0, TAG_LENGTH - 1), st.sampled_from("UuÄ!?.#*/+"))
def test_a_character_outside_the_alphabet_is_refused_and_named(
    tag: str, position: int, bad: str
) -> None:
    text = tag[:position] + bad + tag[position + 1 :]

    with pytest.raises(InvalidTag, match=re.escape(f"{bad.upper()!r} is not allowed")):
        normalize_tag(text)


def test_new_tags_are_tags() -> None:
    for _ in range(2000):
        tag = new_tag()
        assert TAG_RE.fullmatch(tag)
        assert normalize_tag(group_tag(tag)) == tag
