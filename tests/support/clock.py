"""Time travel for tests: the app's clock (`eventsapp.timeutils.utcnow`) in the test process and in the
worker processes it starts reads its shift from one file (EVENTSAPP_TEST_CLOCK_FILE, set by conftest)."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

VARIABLE = "EVENTSAPP_TEST_CLOCK_FILE"


def clock_file() -> Path:
    return Path(os.environ[VARIABLE])


def set_shift(seconds: float) -> None:
    """Replace the file (a rename: readers see the old shift or the new one, never half of it)."""
    path = clock_file()
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="ascii") as file:
        file.write(repr(float(seconds)))
    os.replace(file.name, path)


def travel_to(moment: datetime) -> None:
    """From now on the app's clock shows `moment` (and goes on from there)."""
    set_shift((moment - datetime.now(timezone.utc)).total_seconds())


def back_to_now() -> None:
    set_shift(0)
