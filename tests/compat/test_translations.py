"""Every locale the gateway ships carries every key Chainlit 2.12's stock UI reads.

The stock UI looks its strings up in ``GET /project/translations``; a missing key shows
as "..." or as an empty grey bar. The key set to cover is the ``en-US.json`` shipped in
the reference wheel (``tests/support/reference.py``). Our own UI's keys (the literal
``t('...')`` lookups in ``web/src``) must be there too, so no locale falls back to
English text in places.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from tests.support.fixtures import REPO, StackFactory
from tests.support.reference import reference_venv

TRANSLATIONS = REPO / "services/gateway/src/switchboard_gateway/translations"
_LOOKUP = re.compile(r"\bt\(\s*['\"`]([A-Za-z0-9_.\-]+)['\"`]")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _reference_keys() -> set[str]:
    venv = reference_venv()
    files = list(venv.glob("lib/python*/site-packages/chainlit/translations/en-US.json"))
    assert files, f"the Chainlit wheel in {venv} ships no translations/en-US.json"
    keys = set(_flatten(json.loads(files[0].read_text(encoding="utf-8"))))
    assert len(keys) > 100, "the reference key set looks truncated"
    return keys


def _our_ui_keys() -> set[str]:
    keys: set[str] = set()
    for source in (REPO / "web/src").rglob("*.ts*"):
        keys.update(_LOOKUP.findall(source.read_text(encoding="utf-8")))
    assert keys, "no t('...') lookups found in web/src"
    return keys


def _shipped_locales() -> list[str]:
    locales = sorted(path.stem for path in TRANSLATIONS.glob("*.json"))
    assert "en-US" in locales
    return locales


async def test_every_shipped_locale_covers_the_stock_ui_and_ours(
    make_stack: StackFactory,
) -> None:
    wanted = _reference_keys() | _our_ui_keys()
    stack = make_stack()
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as client:
        for locale in _shipped_locales():
            answer = await client.get("/project/translations", params={"language": locale})
            assert answer.status_code == 200, answer.text
            served = _flatten(answer.json()["translation"])
            missing = sorted(wanted - served.keys())
            assert not missing, f"{locale} lacks {len(missing)} keys: {missing}"
            empty = sorted(key for key in wanted if not str(served[key]).strip())
            assert not empty, f"{locale} has empty texts for {empty}"
            if locale != "en-US":
                # The locale's own file answered, not the English fallback.
                english = _flatten(json.loads((TRANSLATIONS / "en-US.json").read_text()))
                assert served["chat.input.placeholder"] != english["chat.input.placeholder"]


async def test_a_regional_tag_finds_its_language(make_stack: StackFactory) -> None:
    """``es-MX`` gets ``es``, ``pt-BR`` a Portuguese file, an unknown language English."""
    stack = make_stack()
    async with httpx.AsyncClient(base_url=stack.url, timeout=10) as client:

        async def placeholder(language: str) -> str:
            answer = await client.get("/project/translations", params={"language": language})
            assert answer.status_code == 200, answer.text
            return str(answer.json()["translation"]["chat"]["input"]["placeholder"])

        def shipped(locale: str) -> str:
            texts = json.loads((TRANSLATIONS / f"{locale}.json").read_text(encoding="utf-8"))
            return str(texts["chat"]["input"]["placeholder"])

        assert await placeholder("es-MX") == shipped("es")
        assert await placeholder("pt-BR") == shipped("pt-PT")
        assert await placeholder("de") == shipped("de-DE")
        assert await placeholder("xx-YY") == shipped("en-US")


async def test_placeholders_survive_translation() -> None:
    """A ``{{name}}`` the UI fills in must appear in every locale's text for that key."""
    english = _flatten(json.loads((TRANSLATIONS / "en-US.json").read_text(encoding="utf-8")))
    for locale in _shipped_locales():
        texts = _flatten(json.loads((TRANSLATIONS / f"{locale}.json").read_text("utf-8")))
        assert texts.keys() == english.keys(), (
            f"{locale} differs from en-US in {sorted(texts.keys() ^ english.keys())}"
        )
        for key, text in english.items():
            wanted = set(re.findall(r"\{\{\w+\}\}", str(text)))
            have = set(re.findall(r"\{\{\w+\}\}", str(texts[key])))
            assert wanted == have, f"{locale} {key}: {have} instead of {wanted}"
