"""Compiled translation catalogues (`messages.mo`) are built from the `.po` files, which alone are
in git: an install that never ran `pybabel compile` would otherwise serve English to everyone.

`ensure_compiled(app)` runs when the app is created (web, worker, beat, CLI alike): every
catalogue whose `.mo` is missing or older than its `.po` is compiled in place (written to a
temporary file, then renamed, so processes starting together never read half a file). When a
missing catalogue cannot be written, production refuses to start and says how to compile it.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

from config import ConfigError

logger = logging.getLogger(__name__)

COMPILE_COMMAND = "pybabel compile -d eventsapp/translations -f"


def catalogue_paths(app: Flask) -> list[tuple[Path, Path]]:
    """(po, mo) of every catalogue in BABEL_TRANSLATION_DIRECTORIES."""
    directories = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "")
    pairs = []
    for directory in filter(None, directories.split(";")):
        for po in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
            pairs.append((po, po.with_suffix(".mo")))
    return pairs


def compile_catalogue(po: Path, mo: Path) -> None:
    """Write `mo` from `po` atomically (translations marked fuzzy are left out, as pybabel does)."""
    with open(po, "rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    handle, temporary = tempfile.mkstemp(prefix=".messages-", suffix=".mo", dir=mo.parent)
    try:
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog)
        os.replace(temporary, mo)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def ensure_compiled(app: Flask) -> list[Path]:
    """Compile the catalogues that are missing or out of date; returns those compiled.

    Raises ConfigError (production) when a catalogue is missing and cannot be compiled."""
    compiled = []
    for po, mo in catalogue_paths(app):
        if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            compile_catalogue(po, mo)
        except OSError as error:
            if mo.is_file():
                logger.warning("%s is older than %s and could not be recompiled (%s)", mo, po, error)
                continue
            message = (f"The translation catalogue {mo} is not compiled and cannot be written ({error}): "
                       f"run `{COMPILE_COMMAND}` before starting, or every page and e-mail is in English.")
            if app.config.get("ENV_NAME") == "production":
                raise ConfigError(message) from error
            logger.error(message)
            continue
        logger.info("compiled %s", mo)
        compiled.append(mo)
    return compiled
