"""ISO 3166-1 alpha-2 country codes, localised country names and ISO 4217 currency codes.

:data:`ISO_3166_ALPHA2` is a literal snapshot of the 249 officially assigned ISO 3166-1
alpha-2 codes. It was generated once from the keys of ``babel.Locale("en").territories``
(Babel 2.19, CLDR data), keeping two-letter keys only and removing the CLDR territories that
are not officially assigned ISO 3166-1 codes:

* groupings and private-use codes: ``EU``, ``EZ``, ``UN``, ``QO``, ``XA``, ``XB``, ``XK``,
  ``ZZ``;
* exceptionally reserved codes: ``AC`` (Ascension Island), ``CP`` (Clipperton Island),
  ``CQ`` (Sark), ``DG`` (Diego Garcia), ``EA`` (Ceuta & Melilla), ``IC`` (Canary Islands),
  ``TA`` (Tristan da Cunha).

Being a literal, the set does not change when Babel is upgraded; names and currencies are
looked up in Babel at call time.
"""

from __future__ import annotations

import babel
import babel.numbers

__all__ = ["ISO_3166_ALPHA2", "country_name", "is_country", "is_currency"]

# fmt: off
ISO_3166_ALPHA2: frozenset[str] = frozenset({
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW",
    "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN",
    "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG",
    "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ",
    "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI",
    "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL",
    "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR",
    "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA",
    "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME",
    "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU",
    "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP",
    "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR",
    "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD",
    "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
    "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
    "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
})
# fmt: on
"""All officially assigned ISO 3166-1 alpha-2 codes (249), upper case."""


def _clean(code: str) -> str:
    """Return ``code`` without surrounding whitespace, in upper case."""
    return code.strip().upper()


def is_country(code: str) -> bool:
    """Return whether ``code`` is an officially assigned ISO 3166-1 alpha-2 code.

    Surrounding whitespace and case are ignored (``" gb"`` is accepted); codes that are only
    reserved, user-assigned or CLDR groupings (``EU``, ``XK``, ``UN``, ``ZZ``...) are not.
    """
    return _clean(code) in ISO_3166_ALPHA2


def country_name(code: str, locale: str = "en") -> str:
    """Return the name of the country ``code`` in ``locale``, using Babel (CLDR) data.

    ``locale`` may be written ``pt_BR`` or ``pt-BR``. Falls back to the (upper-cased) code
    when the code is not an ISO 3166-1 alpha-2 code, the locale is unknown or invalid, or
    Babel has no name for it.
    """
    cleaned = _clean(code)
    if cleaned not in ISO_3166_ALPHA2:
        return cleaned
    try:
        territories = babel.Locale.parse(locale.strip().replace("-", "_")).territories
    except (babel.UnknownLocaleError, ValueError, TypeError):
        return cleaned
    name = territories.get(cleaned)
    return name if name else cleaned


def is_currency(code: str) -> bool:
    """Return whether ``code`` is an ISO 4217 currency code known to Babel.

    Uses :func:`babel.numbers.list_currencies`, which includes historic (withdrawn) codes as
    well as current ones. Surrounding whitespace and case are ignored.
    """
    return _clean(code) in babel.numbers.list_currencies()
