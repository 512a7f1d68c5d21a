"""Fill Vietnamese translations into the catalogue from a JSON file of {msgid: msgstr}.

Usage: python scripts/fill_translations.py translations.json
Developers add new strings with `make translations` (extract + update), then
either edit eventsapp/translations/vi/LC_MESSAGES/messages.po directly or feed
a JSON file through this script. Existing translations are kept unless given.
"""
import json
import sys

from babel.messages.pofile import read_po, write_po

PO_PATH = "eventsapp/translations/vi/LC_MESSAGES/messages.po"


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        translations = json.load(handle)
    with open(PO_PATH, "rb") as handle:
        catalog = read_po(handle, locale="vi")
    missing = []
    for msgid, msgstr in translations.items():
        message = catalog.get(msgid)
        if message is None:
            missing.append(msgid)
            continue
        message.string = msgstr
        message.flags.discard("fuzzy")
    catalog.fuzzy = False  # a fuzzy header makes pybabel compile skip the whole catalogue
    with open(PO_PATH, "wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=True, include_previous=False)
    if missing:
        print(f"not in the catalogue (run `make translations` first): {missing}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
