"""Issue 14: every setting is written once, and docs/CONVENTIONS.md's table comes from it."""

from devtools.conventions import DOCUMENT, configs, rewritten
from shared.config import declared


def test_the_settings_table_in_conventions_is_generated_from_the_declared_settings():
    text = DOCUMENT.read_text(encoding="utf-8")
    assert rewritten(text) == text, "run `python -m devtools conventions`"


def test_every_declared_setting_says_what_it_is_for():
    undocumented = {}
    for process, config in configs().items():
        for _field, meta, name in declared(config):
            if not meta.doc:
                undocumented.setdefault(name, process)
    # a variable documented in one process's declaration is documented for all
    documented = {name for config in configs().values() for _f, meta, name in declared(config)
                  if meta.doc}
    assert sorted(set(undocumented) - documented) == []
