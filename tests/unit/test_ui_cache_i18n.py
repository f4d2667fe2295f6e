"""The cached loaders' spinners speak the session's language (they are no longer fixed at import)."""

from __future__ import annotations

import inspect
import re

from core.i18n import _, use_language
from ui import cache


def test_spinner_texts_are_translated_at_call_time():
    source = inspect.getsource(cache)
    assert not re.search(r'show_spinner="\w', source)  # a decorator's text would stay English
    with use_language("pt"):
        assert _("Loading the table…") == "Carregando a tabela…"
        assert _("Suggesting a cleaning recipe…") == "Sugerindo uma receita de limpeza…"
    assert _("Loading the table…") == "Loading the table…"
