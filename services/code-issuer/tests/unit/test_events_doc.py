"""docs/events.md is the catalog office systems read: it must match shared/contracts/events.py."""

import json
import re
from pathlib import Path

import pytest

from shared.contracts.events import CATALOG, parse_envelope
from shared.contracts.subscriptions import SUBSCRIPTIONS

DOC = Path(__file__).resolve().parents[4] / "docs" / "events.md"


def examples() -> dict[str, dict]:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    found = {}
    for block in blocks:
        message = json.loads(block)
        found[message["type"]] = message
    return found


def test_every_event_type_of_the_catalog_is_documented_with_an_example():
    assert set(examples()) == set(CATALOG)
    text = DOC.read_text(encoding="utf-8")
    for type_ in CATALOG:
        assert f"### {type_}" in text


@pytest.mark.parametrize("type_", sorted(CATALOG))
def test_each_example_is_a_valid_envelope_with_a_valid_payload(type_):
    message = examples()[type_]
    event = parse_envelope(message)
    schema = CATALOG[type_]()
    schema.load(event.payload)  # strict: no unknown or missing field
    section = DOC.read_text(encoding="utf-8").split(f"### {type_}\n", 1)[1].split("\n### ", 1)[0]
    for name in schema.fields:
        assert f"| `{name}` |" in section, f"{type_}.{name} is not in its field table"


def test_the_documented_consumers_are_the_declared_subscriptions():
    text = DOC.read_text(encoding="utf-8")
    for service, types in SUBSCRIPTIONS.items():
        for type_ in types:
            row = next(line for line in text.splitlines() if line.startswith(f"| [`{type_}`]"))
            assert service.replace("_", "-") in row.split("|")[3], (service, type_)
