"""Tests for donations.s10: UPU S10 identifier validation and construction."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from donations import i18n
from donations.s10 import S10Error, check_digit, make_s10, validate_s10

VECTORS_CSV = Path(__file__).parent / "data" / "s10_vectors.csv"


class Vector(NamedTuple):
    """One row of tests/data/s10_vectors.csv."""

    identifier: str
    valid: bool
    reason: str


def _load_vectors() -> list[Vector]:
    with VECTORS_CSV.open(newline="", encoding="utf-8") as handle:
        return [
            Vector(row["identifier"], row["valid"].strip().lower() == "true", row["reason"])
            for row in csv.DictReader(handle)
        ]


VECTORS = _load_vectors()
VALID = [v for v in VECTORS if v.valid]
INVALID = [v for v in VECTORS if not v.valid]


def _gist(reason: str) -> tuple[str, str]:
    """Return (error kind, message regex) expressing the gist of a CSV ``reason``."""
    if match := re.match(r"check digit (\d) wrong.*expected (\d)", reason):
        given, expected = match.groups()
        return "check_digit", rf"check digit {given}\b.*expected {expected}\b"
    if reason.startswith("bad format"):
        return "format", r"bad format.*13 characters"
    if match := re.match(r"service indicator ([A-Z]{2}) in reserved range", reason):
        return "reserved_service", rf"service indicator {match.group(1)} is in the reserved range"
    if match := re.match(r"unknown country (?:code )?([A-Z]{2})", reason):
        return "country", rf"unknown country code {match.group(1)}\b"
    raise AssertionError(f"no expectation for reason {reason!r}")


class TestVectors:
    """The shared test vectors."""

    def test_file_has_valid_and_invalid_vectors(self) -> None:
        assert VALID
        assert INVALID

    @pytest.mark.parametrize("vector", VALID, ids=[v.identifier for v in VALID])
    def test_valid_vector_accepted(self, vector: Vector) -> None:
        assert validate_s10(vector.identifier) == vector.identifier

    @pytest.mark.parametrize("vector", INVALID, ids=[v.identifier for v in INVALID])
    def test_invalid_vector_rejected_with_reason(self, vector: Vector) -> None:
        kind, pattern = _gist(vector.reason)
        with pytest.raises(S10Error, match=pattern) as excinfo:
            validate_s10(vector.identifier)
        assert excinfo.value.kind == kind

    @pytest.mark.parametrize("vector", VALID, ids=[v.identifier for v in VALID])
    def test_valid_vector_check_digit_matches(self, vector: Vector) -> None:
        assert check_digit(vector.identifier[2:10]) == int(vector.identifier[10])


class TestCheckDigit:
    """The weighted mod-11 check digit."""

    def test_wikipedia_example(self) -> None:
        # S = 200, 200 mod 11 = 2, C = 11 - 2 = 9
        assert check_digit("47312482") == 9

    def test_eleven_becomes_five(self) -> None:
        # S = 0, C = 11 -> 5
        assert check_digit("00000000") == 5

    def test_ten_becomes_zero(self) -> None:
        # S = 12 (3 * 4), 12 mod 11 = 1, C = 10 -> 0
        assert check_digit("02000000") == 0

    def test_plain_value(self) -> None:
        # S = 204, 204 mod 11 = 6, C = 5
        assert check_digit("12345678") == 5

    @pytest.mark.parametrize("serial", ["1234567", "123456789", "1234567A", "", " 12345678"])
    def test_rejects_non_eight_digit_serial(self, serial: str) -> None:
        with pytest.raises(S10Error, match="8 digits"):
            check_digit(serial)

    def test_rejects_non_ascii_digits(self) -> None:
        with pytest.raises(S10Error):
            check_digit("١٢٣٤٥٦٧٨")  # Arabic-Indic digits


class TestValidateS10Normalisation:
    """Forgiving input: whitespace and case."""

    def test_surrounding_whitespace(self) -> None:
        assert validate_s10("  RR287043775IN\n") == "RR287043775IN"

    def test_internal_spaces(self) -> None:
        assert validate_s10("RR 287 043 775 IN") == "RR287043775IN"

    def test_spaced_every_character(self) -> None:
        assert validate_s10(" R R 2 8 7 0 4 3 7 7 5 I N ") == "RR287043775IN"

    def test_lower_case(self) -> None:
        assert validate_s10("rr287043775in") == "RR287043775IN"

    def test_mixed_case_and_tabs(self) -> None:
        assert validate_s10("Rb\t12345678 5\tgB") == "RB123456785GB"


class TestValidateS10Format:
    """Rejection of malformed identifiers."""

    @pytest.mark.parametrize(
        "raw",
        [
            "",
            "RR28704377IN",  # 12 characters
            "RR2870437755IN",  # 14 characters
            "R1287043775IN",  # digit in service indicator
            "RR28704377AIN",  # letter as check digit
            "RR2870437751N",  # digit in country code
            "RR-287043775-IN",  # dashes are not accepted
            "ÄR287043775IN",  # non-ASCII letter
        ],
    )
    def test_bad_format_rejected(self, raw: str) -> None:
        with pytest.raises(S10Error, match="bad format") as excinfo:
            validate_s10(raw)
        assert excinfo.value.kind == "format"

    def test_message_names_expected_shape(self) -> None:
        with pytest.raises(S10Error) as excinfo:
            validate_s10("RR28704377IN")
        message = str(excinfo.value)
        assert "2 upper-case letters" in message
        assert "8 digits" in message
        assert "1 check digit" in message
        assert "13 characters" in message
        assert "got 'RR28704377IN' (12 characters)" in message

    def test_error_is_value_error(self) -> None:
        with pytest.raises(ValueError):
            validate_s10("nonsense")


class TestValidateS10ServiceIndicator:
    """Reserved service indicator ranges."""

    @pytest.mark.parametrize(
        "service", ["JA", "JZ", "KA", "KZ", "SA", "SZ", "TA", "TZ", "WA", "WZ"]
    )
    def test_reserved_range_rejected(self, service: str) -> None:
        identifier = f"{service}473124829GB"  # check digit 9 is correct for 47312482
        with pytest.raises(S10Error, match=rf"service indicator {service} is in the reserved"):
            validate_s10(identifier)

    def test_message_names_range(self) -> None:
        with pytest.raises(S10Error, match="reserved range KA-KZ") as excinfo:
            validate_s10("KB473124829GB")
        assert excinfo.value.kind == "reserved_service"

    @pytest.mark.parametrize(
        "service", ["AA", "BA", "CP", "EE", "HA", "LX", "QA", "RR", "UA", "VV"]
    )
    def test_assigned_or_domestic_ranges_accepted(self, service: str) -> None:
        identifier = f"{service}473124829GB"
        assert validate_s10(identifier) == identifier


class TestValidateS10CheckDigit:
    """Wrong check digits."""

    def test_wrong_check_digit_names_expected(self) -> None:
        with pytest.raises(S10Error) as excinfo:
            validate_s10("RR287043774IN")
        assert str(excinfo.value) == "wrong check digit 4 for serial number 28704377: expected 5"
        assert excinfo.value.kind == "check_digit"

    @pytest.mark.parametrize("digit", [d for d in range(10) if d != 9])
    def test_every_other_digit_rejected(self, digit: int) -> None:
        with pytest.raises(S10Error, match="expected 9"):
            validate_s10(f"EE47312482{digit}FR")

    def test_transposed_serial_digits_rejected(self) -> None:
        with pytest.raises(S10Error, match="check digit"):
            validate_s10("RR278043775IN")


class TestValidateS10Country:
    """Country code of the issuing operator."""

    @pytest.mark.parametrize("country", ["XX", "EU", "UK", "XK", "ZZ", "AA"])
    def test_unknown_country_rejected(self, country: str) -> None:
        with pytest.raises(S10Error, match=f"unknown country code {country}") as excinfo:
            validate_s10(f"RB123456785{country}")
        assert excinfo.value.kind == "country"

    @pytest.mark.parametrize("country", ["GB", "US", "CV", "CF", "WS", "FJ", "KR", "IN"])
    def test_iso_country_accepted(self, country: str) -> None:
        assert validate_s10(f"RB123456785{country}") == f"RB123456785{country}"


class TestMakeS10:
    """Building identifiers for demo data."""

    def test_builds_known_identifier(self) -> None:
        assert make_s10("RR", 28704377, "IN") == "RR287043775IN"

    def test_pads_serial_with_zeros(self) -> None:
        assert make_s10("CP", 2000000, "FJ") == "CP020000000FJ"

    def test_normalises_case(self) -> None:
        assert make_s10("ee", 47312482, "fr") == "EE473124829FR"

    @pytest.mark.parametrize("serial", [0, 1, 12345678, 99_999_999])
    def test_result_validates(self, serial: int) -> None:
        identifier = make_s10("LX", serial, "DE")
        assert validate_s10(identifier) == identifier

    @pytest.mark.parametrize("serial", [-1, 100_000_000])
    def test_rejects_serial_out_of_range(self, serial: int) -> None:
        with pytest.raises(S10Error, match="0..99999999"):
            make_s10("RR", serial, "IN")

    @pytest.mark.parametrize("service", ["R", "RRR", "R1", ""])
    def test_rejects_malformed_service(self, service: str) -> None:
        with pytest.raises(S10Error, match="2 letters"):
            make_s10(service, 1, "IN")

    def test_rejects_reserved_service(self) -> None:
        with pytest.raises(S10Error, match="reserved range JA-JZ"):
            make_s10("JA", 47312482, "KR")

    def test_rejects_unknown_country(self) -> None:
        with pytest.raises(S10Error, match="unknown country code XX"):
            make_s10("RR", 1, "XX")


class TestMessagesInTheRequestLanguage:
    """The reason is written in the language current when it is raised (a page's, or
    English on the API and outside requests)."""

    def test_one_character_is_singular(self) -> None:
        with pytest.raises(S10Error) as excinfo:
            validate_s10("R")
        assert str(excinfo.value).endswith("got 'R' (1 character)")

    @pytest.mark.parametrize(
        ("raw", "french"),
        [
            (
                "RR287043776IN",
                "chiffre de contrôle 6 erroné pour le numéro de série 28704377 : 5 attendu",
            ),
            (
                "RR287043775XX",
                "code de pays inconnu XX : les 2 dernières lettres doivent être le code "
                "ISO 3166-1 alpha-2 du pays de l’opérateur postal émetteur",
            ),
            (
                "SA287043775IN",
                "l’indicateur de service SA appartient à la plage réservée SA-SZ "
                "(plages réservées par l’UPU : JA-JZ, KA-KZ, SA-SZ, TA-TZ, WA-WZ)",
            ),
        ],
    )
    def test_french(self, raw: str, french: str) -> None:
        with i18n.language("fr"), pytest.raises(S10Error) as excinfo:
            validate_s10(raw)
        assert " ".join(str(excinfo.value).split()) == french

    def test_bad_format_in_french(self) -> None:
        with i18n.language("fr"), pytest.raises(S10Error) as excinfo:
            validate_s10("RR28704377IN")
        message = " ".join(str(excinfo.value).split())
        assert message.startswith("format incorrect : attendu 2 lettres majuscules")
        assert message.endswith("; reçu 'RR28704377IN' (12 caractères)")
