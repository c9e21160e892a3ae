"""UI text in Chinese (zh-CN, the default) and English.

Messages live in ``zh-CN.json`` and ``en.json`` beside this file as flat ``key: text`` maps,
and each area of the app may add its own ``<area>.zh-CN.json`` and ``<area>.en.json`` (merged in;
a key defined twice is an error); a text may hold ``{name}`` fields filled in by keyword. A key
missing from one language falls back to the other, then to the key itself, so a forgotten
translation shows up instead of breaking a page.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh-CN", "en")
COOKIE = "chainwatch_lang"
_FOLDER = Path(__file__).parent
_ALIASES = {
    "zh": "zh-CN",
    "zh-cn": "zh-CN",
    "zh_cn": "zh-CN",
    "zh-hans": "zh-CN",
    "cn": "zh-CN",
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
    "en_us": "en",
}


def normalise_language(value: str | None) -> str | None:
    """``zh-CN`` or ``en`` for the spellings people use; None for anything else."""
    if not value:
        return None
    return _ALIASES.get(value.strip().lower())


def resolve_language(requested: str | None, remembered: str | None, default: str) -> str:
    """The query parameter wins, then the cookie, then the configured default, then zh-CN."""
    for value in (requested, remembered, default):
        language = normalise_language(value)
        if language is not None:
            return language
    return LANGUAGES[0]


def _load(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, str] = json.load(handle)
    return data


@lru_cache(maxsize=len(LANGUAGES))
def messages(language: str) -> dict[str, str]:
    data = _load(_FOLDER / f"{language}.json")
    for path in sorted(_FOLDER.glob(f"*.{language}.json")):
        area = _load(path)
        twice = sorted(set(area) & set(data))
        if twice:
            raise RuntimeError(f"UI text {path.name} defines keys again: {', '.join(twice[:5])}")
        data.update(area)
    return data


class Translator:
    """``t("nav.overview")`` or ``t("search.total", total=12)`` in one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._own = messages(language)
        self._other = messages("en" if language != "en" else "zh-CN")

    def __call__(self, key: str, **fields: Any) -> str:
        text = self._own.get(key) or self._other.get(key) or key
        return text.format(**fields) if fields else text

    def has(self, key: str) -> bool:
        return key in self._own

    def catalogue(self, prefix: str) -> dict[str, str]:
        """Every message under ``prefix.`` without the prefix (handed to browser scripts)."""
        start = len(prefix) + 1
        return {
            key[start:]: text for key, text in self._own.items() if key.startswith(prefix + ".")
        }
