"""Tests for donations.countries: ISO 3166-1 alpha-2 codes, names and ISO 4217 currencies."""

from __future__ import annotations

import pytest

from donations.countries import ISO_3166_ALPHA2, country_name, is_country, is_currency


class TestIsoAlpha2Set:
    """The literal set of officially assigned codes."""

    def test_has_249_codes(self) -> None:
        assert len(ISO_3166_ALPHA2) == 249

    def test_is_frozenset(self) -> None:
        assert isinstance(ISO_3166_ALPHA2, frozenset)

    def test_codes_are_two_upper_case_letters(self) -> None:
        assert all(len(code) == 2 and code.isascii() and code.isupper() for code in ISO_3166_ALPHA2)

    @pytest.mark.parametrize("code", ["GB", "US", "FR", "DE", "IN", "AQ", "BQ", "SS", "SX", "TL"])
    def test_contains_assigned_codes(self, code: str) -> None:
        assert code in ISO_3166_ALPHA2

    @pytest.mark.parametrize(
        "code",
        ["EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ", "AC", "CP", "CQ", "DG", "EA", "IC", "TA"],
    )
    def test_excludes_non_iso_cldr_territories(self, code: str) -> None:
        assert code not in ISO_3166_ALPHA2

    def test_every_code_has_an_english_name_in_babel(self) -> None:
        assert all(country_name(code) != code for code in ISO_3166_ALPHA2)


class TestIsCountry:
    """Country code validation."""

    def test_accepts_assigned_code(self) -> None:
        assert is_country("FJ")

    def test_ignores_case_and_whitespace(self) -> None:
        assert is_country(" gb ")

    @pytest.mark.parametrize("code", ["UK", "EU", "XK", "ZZ", "", "G", "GBR", "001"])
    def test_rejects_non_iso_codes(self, code: str) -> None:
        assert not is_country(code)


class TestCountryName:
    """Localised names via Babel."""

    def test_english_by_default(self) -> None:
        assert country_name("DE") == "Germany"

    def test_french(self) -> None:
        assert country_name("DE", "fr") == "Allemagne"

    def test_locale_with_region_and_dash(self) -> None:
        assert country_name("DE", "pt-BR") == "Alemanha"

    def test_locale_with_underscore(self) -> None:
        assert country_name("DE", "pt_BR") == "Alemanha"

    def test_normalises_code(self) -> None:
        assert country_name(" fj ") == "Fiji"

    def test_unknown_code_falls_back_to_code(self) -> None:
        assert country_name("XX") == "XX"

    def test_non_iso_territory_falls_back_to_code(self) -> None:
        assert country_name("EU") == "EU"

    def test_unknown_locale_falls_back_to_code(self) -> None:
        assert country_name("DE", "xx") == "DE"

    def test_invalid_locale_falls_back_to_code(self) -> None:
        assert country_name("DE", "") == "DE"


class TestIsCurrency:
    """ISO 4217 currency codes via Babel."""

    @pytest.mark.parametrize("code", ["EUR", "USD", "GBP", "FJD", "XOF", "JPY"])
    def test_accepts_current_codes(self, code: str) -> None:
        assert is_currency(code)

    def test_ignores_case_and_whitespace(self) -> None:
        assert is_currency(" eur ")

    @pytest.mark.parametrize("code", ["", "EU", "EURO", "ABC", "XXXX"])
    def test_rejects_unknown_codes(self, code: str) -> None:
        assert not is_currency(code)
