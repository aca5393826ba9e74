"""Copy French translations into locale/fr/LC_MESSAGES/django.po from other catalogues.

Used after a merge: keep one side of a conflicting django.po, regenerate it with `make messages`,
then fill every empty or fuzzy entry from the catalogues of both sides:

    git show main:locale/fr/LC_MESSAGES/django.po > /tmp/main.po
    git show HEAD:locale/fr/LC_MESSAGES/django.po > /tmp/ours.po
    git checkout --theirs locale/fr/LC_MESSAGES/django.po && make messages
    .venv/bin/python scripts/po_fill.py /tmp/main.po /tmp/ours.po
"""

from __future__ import annotations

import sys

import polib

TARGET = "locale/fr/LC_MESSAGES/django.po"


def key(entry: polib.POEntry) -> tuple[str | None, str]:
    return (entry.msgctxt, entry.msgid)


def main(sources: list[str]) -> int:
    target = polib.pofile(TARGET)
    known: dict[tuple[str | None, str], polib.POEntry] = {}
    for path in sources:
        for entry in polib.pofile(path):
            if entry.translated() and not entry.obsolete:
                known.setdefault(key(entry), entry)
    filled = 0
    for entry in target:
        if entry.obsolete or (entry.translated() and "fuzzy" not in entry.flags):
            continue
        source = known.get(key(entry))
        if source is None:
            continue
        entry.msgstr = source.msgstr
        entry.msgstr_plural = dict(source.msgstr_plural)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        filled += 1
    target.save()
    missing = [e.msgid for e in target.untranslated_entries() + target.fuzzy_entries()]
    print(f"filled {filled}; still untranslated or fuzzy: {len(missing)}")
    for msgid in missing:
        print("  -", msgid[:100])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
