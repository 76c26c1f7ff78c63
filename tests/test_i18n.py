"""The French catalogue: it covers every string of the current sources, keeps their
placeholders, and is what the app actually serves in French.

The strings are extracted here from the templates and the Python sources themselves (not
read from the committed .pot), so a string added anywhere fails this test until it is
translated: run `scripts/i18n.py extract && scripts/i18n.py update`, then translate.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from fastapi.testclient import TestClient
from markupsafe import escape

from donations import i18n

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "donations" / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
HOW_TO_FIX = (
    "Run `.venv/bin/python scripts/i18n.py extract && .venv/bin/python scripts/i18n.py update`, "
    f"translate these entries in {PO.relative_to(ROOT)} (remove `#, fuzzy` once a suggestion "
    "is right), then `.venv/bin/python scripts/i18n.py check`."
)

_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
_BRACE = re.compile(r"(?<!\{)\{(?!\{)[^{}]*\}")


def _extract() -> list[Message]:
    """Every translatable string of the sources, as babel.cfg maps them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    catalog = Catalog()
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        catalog.add(message, None, [(Path(filename).as_posix(), lineno)], context=context)
    return [m for m in catalog if m.id]


@pytest.fixture(scope="module")
def sources() -> list[Message]:
    messages = _extract()
    assert len(messages) > 50, "extraction found almost nothing: is babel.cfg right?"
    return messages


@pytest.fixture(scope="module")
def french() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle, locale="fr")


def _strings(message: Message) -> list[str]:
    string = message.string
    return list(string) if isinstance(string, (list, tuple)) else [string or ""]


def _describe(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    files = ", ".join(sorted({location for location, _line in message.locations}))
    return f"  {msgid!r} ({files})"


def _sign_in(french: Catalog) -> str:
    """The French for "Sign in", as the catalogue has it."""
    message = french.get("Sign in")
    assert message is not None and isinstance(message.string, str)
    assert message.string and message.string != "Sign in"
    return message.string


def _placeholders(text: str) -> Counter[str]:
    found = Counter(m.group(0) for m in _PERCENT.finditer(text))
    found.update(m.group(0) for m in _BRACE.finditer(text))
    return found


def test_the_french_catalogue_declares_french_plurals(french: Catalog) -> None:
    assert str(french.locale) == "fr"
    assert french.plural_forms == "nplurals=2; plural=(n > 1);"


def test_every_string_of_the_sources_has_a_french_translation(
    sources: list[Message], french: Catalog
) -> None:
    missing, fuzzy = [], []
    for message in sources:
        translation = french.get(message.id, context=message.context)
        if translation is None or not all(_strings(translation)):
            missing.append(_describe(message))
        elif translation.fuzzy:
            fuzzy.append(_describe(message))
    report = []
    if missing:
        report += [f"no French translation ({len(missing)}):", *missing]
    if fuzzy:
        report += [f"fuzzy, so not used ({len(fuzzy)}):", *fuzzy]
    assert not report, "\n".join([*report, HOW_TO_FIX])


def test_translations_keep_the_placeholders(sources: list[Message], french: Catalog) -> None:
    wrong = []
    for message in sources:
        translation = french.get(message.id, context=message.context)
        if translation is None:
            continue  # reported by the test above
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        for index, string in enumerate(_strings(translation)):
            source = ids[min(index, len(ids) - 1)]
            if string and _placeholders(source) != _placeholders(string):
                wrong.append(
                    f"  {source!r}: {sorted(_placeholders(source).elements())} -> "
                    f"{string!r}: {sorted(_placeholders(string).elements())}"
                )
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_translations_format_as_the_code_formats_them(
    sources: list[Message], french: Catalog
) -> None:
    """Templates always %-format what `_()` returns (newstyle gettext), so a bare % breaks
    the page; Python strings with {name} go through str.format."""
    broken = []
    for message in sources:
        translation = french.get(message.id, context=message.context)
        if translation is None or translation.fuzzy:
            continue
        in_template = any(path.startswith("templates/") for path, _line in message.locations)
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        for string in filter(None, _strings(translation)):
            names = {
                name: 1
                for source in ids
                for name in re.findall(r"%\((\w+)\)", source) + re.findall(r"\{(\w+)", source)
            }
            try:
                if in_template or "python-format" in message.flags:
                    string % names  # noqa: B018
                if "python-brace-format" in message.flags:
                    string.format(**names)
            except (KeyError, ValueError, TypeError, IndexError) as exc:
                broken.append(f"  {string!r}: {exc!r}")
    assert not broken, "translations that cannot be formatted:\n" + "\n".join(broken)


def test_the_compiled_catalogue_translates_at_run_time(french: Catalog) -> None:
    expected = _sign_in(french)
    with i18n.language("fr"):
        assert i18n.gettext("Sign in") == expected
        assert i18n._("Sign in") == expected
    with i18n.language("en"):
        assert i18n.gettext("Sign in") == "Sign in"


def test_the_login_page_is_french_for_a_french_browser(client: TestClient, french: Catalog) -> None:
    sign_in = str(escape(_sign_in(french)))
    response = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert sign_in in response.text
    assert ">Sign in<" not in response.text
    assert response.headers["content-language"] == "fr"


def test_the_footer_switches_the_pages_to_french(client: TestClient, french: Catalog) -> None:
    sign_in = str(escape(_sign_in(french)))
    english = client.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.text
    assert ">Sign in<" in english.text
    token = client.cookies.get("donations_csrf")
    assert token, "the login page should set the CSRF cookie"

    switched = client.post(
        "/language",
        data={"lang": "fr", "next": "/login", "csrf_token": token},
        headers={"Accept-Language": "en"},
    )
    assert switched.status_code == 200  # the redirect, followed
    assert '<html lang="fr">' in switched.text
    assert sign_in in switched.text

    following = client.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in following.text
    assert sign_in in following.text
    assert ">Sign in<" not in following.text


def test_messages_made_by_the_views_are_french_too(client: TestClient, french: Catalog) -> None:
    """What a view translates before the page is rendered (an error, a toast) is French too."""
    client.get("/login", headers={"Accept-Language": "fr"})
    response = client.post(
        "/login",
        data={
            "username": "nobody",
            "password": "wrong",
            "csrf_token": client.cookies["donations_csrf"],
        },
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 401
    wrong = french.get("Wrong username or password.")
    assert wrong is not None and isinstance(wrong.string, str)
    assert str(escape(wrong.string)) in response.text


# --- the tooling: scripts/i18n.py ------------------------------------------------------------


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_update_keeps_translations_and_check_lists_new_strings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tool = _tool()
    (tmp_path / "babel.cfg").write_text((ROOT / "babel.cfg").read_text())
    (tmp_path / "donations").mkdir()
    (tmp_path / "donations" / "views.py").write_text(
        'from donations.i18n import gettext as _\n\nMESSAGE = _("Welcome, {name}.")\n'
    )
    page = tmp_path / "templates" / "page.html"
    page.parent.mkdir()
    page.write_text('{{ _("Sign in") }} {% trans %}Old\n   text{% endtrans %}\n')

    assert tool.extract(tmp_path) == 0
    assert tool.update(["fr"], tmp_path) == 0
    po = tool.po_path("fr", tmp_path)
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    assert catalog.plural_forms == "nplurals=2; plural=(n > 1);"
    assert {m.id for m in catalog if m.id} == {"Sign in", "Old text", "Welcome, {name}."}
    catalog["Sign in"].string = "Se connecter"
    catalog["Old text"].string = "Ancien texte"
    catalog["Welcome, {name}."].string = "Bienvenue, {nom}."
    with po.open("wb") as handle:
        write_po(handle, catalog)

    page.write_text('{{ _("Sign in") }} {% trans %}\n  A brand new\n  sentence\n{% endtrans %}\n')
    assert tool.extract(tmp_path) == 0
    assert tool.update(["fr"], tmp_path) == 0
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    assert catalog["Sign in"].string == "Se connecter"
    assert catalog["A brand new sentence"].string == ""
    assert "Old text" in catalog.obsolete  # kept, as #~

    # A msgid that comes back takes its translation back from the obsolete entries.
    page.write_text(page.read_text() + "{% trans %}Old text{% endtrans %}\n")
    assert tool.extract(tmp_path) == 0
    assert tool.update(["fr"], tmp_path) == 0
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    assert catalog["Old text"].string == "Ancien texte"
    assert not catalog["Old text"].fuzzy
    assert "Old text" not in catalog.obsolete
    capsys.readouterr()

    assert tool.check(["fr"], tmp_path) == 1
    out = capsys.readouterr().out
    assert "'A brand new sentence' (templates/page.html)" in out
    assert "'Welcome, {name}.'" in out and "{nom}" in out  # the placeholders differ
    assert "'Sign in'" not in out
    assert "scripts/i18n.py extract && scripts/i18n.py update" in out
