"""UI text from area files is merged in; a key defined twice is an error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainwatch.web import i18n


def test_area_files_merge_and_clash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "zh-CN.json").write_text(json.dumps({"a": "甲"}), encoding="utf-8")
    (tmp_path / "x.zh-CN.json").write_text(json.dumps({"x.b": "乙"}), encoding="utf-8")
    monkeypatch.setattr(i18n, "_FOLDER", tmp_path)
    i18n.messages.cache_clear()
    try:
        assert i18n.messages("zh-CN") == {"a": "甲", "x.b": "乙"}
        (tmp_path / "y.zh-CN.json").write_text(json.dumps({"a": "丙"}), encoding="utf-8")
        i18n.messages.cache_clear()
        with pytest.raises(RuntimeError, match=r"y\.zh-CN\.json"):
            i18n.messages("zh-CN")
    finally:
        i18n.messages.cache_clear()


def test_shipped_languages_load() -> None:
    assert i18n.messages("zh-CN")["nav.overview"]
    assert i18n.messages("en")["nav.overview"]
