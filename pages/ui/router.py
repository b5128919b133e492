"""Run a page script whichever way Streamlit started it.

UI layer. ``app.py`` routes with ``st.navigation``. But Streamlit 1.67 still has the old "pages/ folder"
mode: when a server's *first* request deep-links to a page (``/designer`` after a restart, say), it runs
``pages/designer.py`` directly, with the old automatic sidebar and without ``app.py``'s chrome, until
some run calls ``st.navigation``. A page started that way hands over to ``app.py``, which calls
``st.navigation`` (switching the server to the router for good) and runs the page it resolves.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def _legacy_mode() -> bool:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy mode
        return False
    return bool(getattr(PagesManager, "uses_pages_directory", False))


def run_page(main: Callable[[], None]) -> None:
    if _legacy_mode():
        runpy.run_path(str(APP), run_name="__main__")
    else:
        main()
