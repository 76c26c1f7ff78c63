"""Translations: extract the strings, merge them into the catalogues, check the catalogues.

Run from the repository root:

    .venv/bin/python scripts/i18n.py extract   # sources -> donations/locale/messages.pot
    .venv/bin/python scripts/i18n.py update    # .pot -> donations/locale/fr/LC_MESSAGES/messages.po
    .venv/bin/python scripts/i18n.py check     # exit 1 listing what French still lacks

After adding or changing a user-facing string in a template or in Python, run
`extract && update`, translate the new (empty) entries and review the fuzzy ones in the .po
(remove the `#, fuzzy` line once the suggested translation is right), then `check`.
tests/test_i18n.py fails as long as `check` would.

What is extracted is what babel.cfg maps (donations/**.py and templates/**.html, the templates
with the `trimmed` policy of the app) with Babel's default keywords: `_`, `gettext`,
`ngettext:1,2`, `pgettext`, and `N_`, the marker for strings translated later by a call on a
variable (`gettext(TITLES[code])`): those strings must be marked where they are written, or
they are never extracted (`check` notes such calls). It is the same as
`pybabel extract -F babel.cfg -c Translators: -o donations/locale/messages.pot .`, except that
the locations are written without line numbers, which change at every edit of a template.

`update` keeps every translation: a msgid gone from the sources stays at the end of the .po as
an obsolete (#~) entry, and may come back as a fuzzy suggestion for a similar new msgid.
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr",)  # the languages translated from English, the language of the sources
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);"}
KEYWORDS = DEFAULT_KEYWORDS  # _, gettext, ngettext:1,2, N_, pgettext, ...
COMMENT_TAGS = ("Translators:",)  # `# Translators: ...` above a call becomes a note in the .po
PROJECT = "donations"
HEADER = """\
# {title} of the donation tracker (UPU programme of in-kind donations).
# Kept up to date by `scripts/i18n.py extract && scripts/i18n.py update`;
# `scripts/i18n.py check` lists the messages still to translate."""
WIDTH = 100

# Format placeholders: %(name)s, %s, %d, %% ... and {name}, {0}, {} (not the escaped {{ }}).
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
_BRACE = re.compile(r"(?<!\{)\{(?!\{)[^{}]*\}")
_DATE_HEADERS = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.MULTILINE)


def pot_path(root: Path | None = None) -> Path:
    return (root or ROOT) / "donations" / "locale" / "messages.pot"


def po_path(language: str, root: Path | None = None) -> Path:
    return (root or ROOT) / "donations" / "locale" / language / "LC_MESSAGES" / "messages.po"


def _show(path: Path, root: Path | None) -> str:
    return path.relative_to(root or ROOT).as_posix()


# --- extract -------------------------------------------------------------------------------


def extract_catalog(root: Path | None = None) -> Catalog:
    """Every translatable string of the current sources (not of the committed .pot)."""
    root = root or ROOT
    mapping = root / "babel.cfg"
    with mapping.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(mapping))
    catalog = Catalog(
        project=PROJECT,
        version="1.0",
        charset="utf-8",
        header_comment=HEADER.format(title="Messages"),
    )
    extracted = extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in extracted:
        catalog.add(
            message,
            None,
            [(Path(filename).as_posix(), lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def non_literal_calls(root: Path | None = None) -> list[str]:
    """Python `gettext(variable)` calls: the strings they translate cannot be extracted."""
    root = root or ROOT
    notes = []
    for path in sorted((root / "donations").rglob("*.py")):
        if path == root / "donations" / "i18n.py":  # the gettext functions themselves
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in KEYWORDS or name == "N_":
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                notes.append(
                    f"{_show(path, root)}:{node.lineno}: {name}() of a variable: "
                    "mark the strings it may hold with N_() so that they are extracted"
                )
    return notes


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=WIDTH,
        include_lineno=False,
        ignore_obsolete=False,
        include_previous=True,
    )
    return buffer.getvalue()


def _write_if_changed(path: Path, content: bytes) -> bool:
    """Write, unless only the date headers would change (quieter diffs and merges)."""
    if path.exists():
        old = _DATE_HEADERS.sub(b"", path.read_bytes())
        if old == _DATE_HEADERS.sub(b"", content):
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def extract(root: Path | None = None) -> int:
    catalog = extract_catalog(root)
    path = pot_path(root)
    changed = _write_if_changed(path, _po_bytes(catalog))
    count = sum(1 for m in catalog if m.id)
    print(f"{_show(path, root)}: {count} messages{'' if changed else ' (unchanged)'}")
    return 0


# --- update --------------------------------------------------------------------------------


def _read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _key(message: Message) -> str | tuple[str, str]:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return (msgid, message.context) if message.context else msgid


def _revive(catalog: Catalog, template: Catalog) -> int:
    """Take back the obsolete (#~) translation of a msgid that is in the sources again."""
    revived = 0
    for message in template:
        old = catalog.obsolete.pop(_key(message), None) if message.id else None
        if old is not None and catalog.get(message.id, message.context) is None:
            catalog[old.id] = old
            revived += 1
    return revived


def update(languages: Iterable[str], root: Path | None = None) -> int:
    template_path = pot_path(root)
    if not template_path.exists():
        print(f"{_show(template_path, root)} is missing: run `scripts/i18n.py extract` first")
        return 1
    for language in languages:
        path = po_path(language, root)
        template = _read(template_path)
        if path.exists():
            catalog = _read(path, language)
            revived = _revive(catalog, template)
            before = {m.id for m in catalog if m.id}
            catalog.update(template, update_header_comment=False)
            new = [m for m in catalog if m.id and m.id not in before]
            if revived:
                print(f"{_show(path, root)}: {revived} obsolete translations back in use")
        else:  # a new catalogue: the template, for this language
            catalog = _read(template_path, language)
            catalog.fuzzy = False
            catalog.revision_date = datetime.now(UTC)
            name = catalog.locale.english_name if catalog.locale else language
            catalog.language_team = f"{name} <LL@li.org>"
            catalog.header_comment = HEADER.format(title=f"{name} messages")
            new = [m for m in catalog if m.id]
        if language in PLURAL_FORMS:
            catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[language])]
        changed = _write_if_changed(path, _po_bytes(catalog))
        todo = [m for m in catalog if m.id and (m.fuzzy or not _translated(m))]
        print(
            f"{_show(path, root)}: {sum(1 for m in catalog if m.id)} messages, "
            f"{len(new)} new, {len(todo)} to translate or review, "
            f"{len(catalog.obsolete)} obsolete (kept as #~)"
            f"{'' if changed else ' (unchanged)'}"
        )
    return 0


# --- check ---------------------------------------------------------------------------------


def placeholders(text: str) -> Counter[str]:
    """The format placeholders of a string: %(name)s, %s, %%, {name}, {0} ..."""
    found = Counter(m.group(0) for m in _PERCENT.finditer(text))
    found.update(m.group(0) for m in _BRACE.finditer(text))
    return found


def _strings(message: Message) -> list[str]:
    string = message.string
    return list(string) if isinstance(string, (list, tuple)) else [string or ""]


def _translated(message: Message) -> bool:
    return all(_strings(message))


def _pairs(message: Message, translation: Message) -> list[tuple[str, str]]:
    """(source, translation) pairs whose placeholders must agree; plural forms after the
    first are compared with the plural msgid."""
    if isinstance(message.id, (list, tuple)):
        return [(message.id[min(i, 1)], s) for i, s in enumerate(_strings(translation))]
    return [(message.id, _strings(translation)[0])]


def _label(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    context = f"[{message.context}] " if message.context else ""
    files = sorted({location for location, _line in message.locations})
    return f"{context}{msgid!r} ({', '.join(files)})"


def problems(
    language: str, sources: Catalog | None = None, root: Path | None = None
) -> dict[str, list[str]]:
    """What the catalogue lacks for the current sources: by kind, a line per message."""
    sources = sources if sources is not None else extract_catalog(root)
    path = po_path(language, root)
    translations = _read(path, language) if path.exists() else Catalog(locale=language)
    found: dict[str, list[str]] = {"untranslated": [], "fuzzy": [], "placeholders": []}
    for message in sources:
        if not message.id:
            continue
        translation = translations.get(message.id, context=message.context)
        if translation is None or not _translated(translation):
            found["untranslated"].append(_label(message))
        elif translation.fuzzy:
            found["fuzzy"].append(_label(message))
        else:
            for source, string in _pairs(message, translation):
                want, got = placeholders(source), placeholders(string)
                if want != got:
                    found["placeholders"].append(
                        f"{_label(message)}: msgid has {sorted(want.elements())}, "
                        f"msgstr {string!r} has {sorted(got.elements())}"
                    )
    return found


TITLES = {
    "untranslated": "no translation",
    "fuzzy": "fuzzy: check the suggested translation, then remove its `#, fuzzy` line",
    "placeholders": "placeholders differ between msgid and msgstr (keep them exactly)",
}


def check(languages: Iterable[str], root: Path | None = None) -> int:
    sources = extract_catalog(root)
    total = sum(1 for m in sources if m.id)
    status = 0
    for language in languages:
        found = problems(language, sources, root)
        count = sum(len(items) for items in found.values())
        path = _show(po_path(language, root), root)
        if not count:
            print(f"{path}: all {total} messages of the sources are translated")
            continue
        status = 1
        print(f"{path}: {count} of the {total} messages of the sources need work")
        for kind, items in found.items():
            if items:
                print(f"\n  {TITLES[kind]}:")
                for item in items:
                    print(f"    {item}")
    template_path = pot_path(root)
    if template_path.exists():
        committed = {(m.id, m.context) for m in _read(template_path) if m.id}
        if committed != {(m.id, m.context) for m in sources if m.id}:
            print(f"\nnote: {_show(template_path, root)} is out of date: run `extract`")
    for note in non_literal_calls(root):
        print(f"note: {note}")
    if status:
        print(
            "\nRun `scripts/i18n.py extract && scripts/i18n.py update`, translate these "
            "entries in the .po, then run `scripts/i18n.py check` again."
        )
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Extract, merge and check the translations.")
    parser.add_argument("command", choices=("extract", "update", "check"))
    parser.add_argument(
        "--lang", action="append", choices=LANGUAGES, help="only this language (repeatable)"
    )
    args = parser.parse_args(argv)
    languages = args.lang or list(LANGUAGES)
    if args.command == "extract":
        return extract()
    if args.command == "update":
        return update(languages)
    return check(languages)


if __name__ == "__main__":
    sys.exit(main())
