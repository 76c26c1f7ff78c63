"""Tests for donations.tags: generation, forgiving normalisation, grouping, validation."""

from __future__ import annotations

import re

import pytest

from donations import i18n
from donations.tags import (
    ALPHABET,
    TAG_LENGTH,
    InvalidTag,
    group_tag,
    is_tag,
    new_tag,
    normalize_tag,
)

CANONICAL = "7KQ29XHM3PDA"
CANONICAL_PATTERN = re.compile(r"[0-9ABCDEFGHJKMNPQRSTVWXYZ]{12}")


class TestConstants:
    """The alphabet and tag length."""

    def test_alphabet_is_crockford_base32(self) -> None:
        assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
        assert len(set(ALPHABET)) == 32

    def test_alphabet_excludes_ambiguous_letters(self) -> None:
        assert not set("ILOU") & set(ALPHABET)

    def test_tag_length_is_twelve(self) -> None:
        assert TAG_LENGTH == 12


class TestNewTag:
    """Random tag generation."""

    def test_shape(self) -> None:
        tag = new_tag()
        assert CANONICAL_PATTERN.fullmatch(tag)

    def test_thousand_tags_are_distinct_and_valid(self) -> None:
        tags = [new_tag() for _ in range(1000)]
        assert len(set(tags)) == 1000
        assert all(normalize_tag(tag) == tag for tag in tags)

    def test_uses_all_sixty_bits_from_secrets(self, monkeypatch: pytest.MonkeyPatch) -> None:
        requested: list[int] = []

        def fake_randbits(k: int) -> int:
            requested.append(k)
            return (1 << k) - 1

        monkeypatch.setattr("donations.tags.codes.secrets.randbits", fake_randbits)
        assert new_tag() == "Z" * 12
        assert requested == [60]

    def test_zero_bits_encode_to_zeros(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("donations.tags.codes.secrets.randbits", lambda k: 0)
        assert new_tag() == "0" * 12

    def test_encoding_is_big_endian_base32(self, monkeypatch: pytest.MonkeyPatch) -> None:
        value = sum(ALPHABET.index(ch) << (5 * (11 - i)) for i, ch in enumerate(CANONICAL))
        monkeypatch.setattr("donations.tags.codes.secrets.randbits", lambda k: value)
        assert new_tag() == CANONICAL

    def test_every_alphabet_character_appears(self) -> None:
        seen = set("".join(new_tag() for _ in range(1000)))
        assert seen == set(ALPHABET)


class TestNormalizeTag:
    """Forgiving reading of typed or pasted tags."""

    def test_canonical_tag_unchanged(self) -> None:
        assert normalize_tag(CANONICAL) == CANONICAL

    def test_lower_case_accepted(self) -> None:
        assert normalize_tag("7kq29xhm3pda") == CANONICAL

    def test_mixed_case_accepted(self) -> None:
        assert normalize_tag("7kQ29xHm3PdA") == CANONICAL

    def test_grouped_form_accepted(self) -> None:
        assert normalize_tag("7KQ2-9XHM-3PDA") == CANONICAL

    def test_spaces_accepted(self) -> None:
        assert normalize_tag("7KQ2 9XHM 3PDA") == CANONICAL

    def test_surrounding_whitespace_accepted(self) -> None:
        assert normalize_tag("  7KQ29XHM3PDA\n") == CANONICAL

    def test_other_whitespace_accepted(self) -> None:
        assert normalize_tag("7KQ2\t9XHM\u00a03PDA") == CANONICAL

    def test_unicode_dashes_accepted(self) -> None:
        assert normalize_tag("7KQ2\u20139XHM\u20143PDA") == CANONICAL

    def test_repeated_separators_accepted(self) -> None:
        assert normalize_tag("-7KQ2 - - 9XHM--3PDA-") == CANONICAL

    def test_upper_i_read_as_one(self) -> None:
        assert normalize_tag("I23456789ABC") == "123456789ABC"

    def test_lower_i_read_as_one(self) -> None:
        assert normalize_tag("i23456789abc") == "123456789ABC"

    def test_upper_l_read_as_one(self) -> None:
        assert normalize_tag("L23456789ABC") == "123456789ABC"

    def test_lower_l_read_as_one(self) -> None:
        assert normalize_tag("l23456789abc") == "123456789ABC"

    def test_upper_o_read_as_zero(self) -> None:
        assert normalize_tag("O23456789ABC") == "023456789ABC"

    def test_lower_o_read_as_zero(self) -> None:
        assert normalize_tag("o23456789abc") == "023456789ABC"

    def test_upper_u_rejected_and_named(self) -> None:
        with pytest.raises(InvalidTag, match="'U' is not allowed"):
            normalize_tag("U23456789ABC")

    def test_lower_u_rejected_and_named(self) -> None:
        with pytest.raises(InvalidTag, match="'U' is not allowed"):
            normalize_tag("7kq29xhm3pdu")

    def test_punctuation_rejected_and_named(self) -> None:
        with pytest.raises(InvalidTag, match=re.escape("'!' is not allowed")):
            normalize_tag("7KQ29XHM3PD!")

    def test_non_ascii_letter_rejected(self) -> None:
        with pytest.raises(InvalidTag, match="not allowed"):
            normalize_tag("7KQ29XHM3PDÄ")

    def test_letter_whose_upper_case_is_two_letters_rejected(self) -> None:
        with pytest.raises(InvalidTag, match="'ß' is not allowed"):
            normalize_tag("7KQ29XHM3Pß")

    def test_too_short_rejected_with_length(self) -> None:
        with pytest.raises(InvalidTag, match="got 11 characters"):
            normalize_tag("7KQ29XHM3PD")

    def test_too_long_rejected_with_length(self) -> None:
        with pytest.raises(InvalidTag, match="got 13 characters"):
            normalize_tag("7KQ29XHM3PDA0")

    def test_empty_rejected(self) -> None:
        with pytest.raises(InvalidTag, match="got 0 characters"):
            normalize_tag("")

    def test_only_separators_rejected(self) -> None:
        with pytest.raises(InvalidTag, match="got 0 characters"):
            normalize_tag(" - - ")

    def test_separators_do_not_count_towards_length(self) -> None:
        with pytest.raises(InvalidTag, match="got 11 characters"):
            normalize_tag("7KQ2-9XHM-3PD-")

    def test_message_is_human_readable(self) -> None:
        with pytest.raises(InvalidTag) as excinfo:
            normalize_tag("7KQ29XHM3PD")
        assert str(excinfo.value) == (
            "tag must be 12 characters of Crockford base32 (0-9, A-Z without I, L, O, U);"
            " got 11 characters"
        )

    def test_invalid_tag_is_value_error(self) -> None:
        with pytest.raises(ValueError):
            normalize_tag("nope")


class TestGroupTag:
    """Display form in groups of four."""

    def test_groups_canonical_tag(self) -> None:
        assert group_tag("7KQ29XHM3PDA") == "7KQ2-9XHM-3PDA"

    def test_normalises_before_grouping(self) -> None:
        assert group_tag(" 7kq2 9xhm 3pda ") == "7KQ2-9XHM-3PDA"

    def test_regrouping_is_stable(self) -> None:
        assert group_tag(group_tag(CANONICAL)) == "7KQ2-9XHM-3PDA"

    def test_round_trip_with_normalize(self) -> None:
        tag = new_tag()
        assert normalize_tag(group_tag(tag)) == tag

    def test_invalid_tag_rejected(self) -> None:
        with pytest.raises(InvalidTag):
            group_tag("7KQ29XHM3PD")


class TestIsTag:
    """Boolean validation."""

    @pytest.mark.parametrize("raw", [CANONICAL, "7kq2-9xhm-3pda", "IL0O-0000-0000", new_tag()])
    def test_accepts_valid_spellings(self, raw: str) -> None:
        assert is_tag(raw)

    @pytest.mark.parametrize("raw", ["", "7KQ29XHM3PD", "7KQ29XHM3PDA0", "U23456789ABC", "#" * 12])
    def test_rejects_invalid_input(self, raw: str) -> None:
        assert not is_tag(raw)


class TestMessagesInTheRequestLanguage:
    def test_one_character_is_singular(self) -> None:
        with pytest.raises(InvalidTag, match="got 1 character$"):
            normalize_tag("7")

    def test_french(self) -> None:
        with i18n.language("fr"):
            with pytest.raises(InvalidTag) as short:
                normalize_tag("7KQ2-9XHM")
            with pytest.raises(InvalidTag) as bad:
                normalize_tag("7KQ2-9XHM-3PDU")
        rule = (
            "une étiquette compte 12 caractères en base32 de Crockford (0-9, A-Z sans I, L, O, U)"
        )
        assert " ".join(str(short.value).split()) == f"{rule} ; 8 caractères saisis"
        assert " ".join(str(bad.value).split()) == f"{rule} ; le caractère 'U' n’est pas autorisé"
