from pathlib import Path

from chainwatch.ingest.docs import render


def test_docs_ingest_md_matches_the_column_table() -> None:
    path = Path(__file__).parents[3] / "docs" / "ingest.md"
    assert path.read_text(encoding="utf-8") == render(), (
        "docs/ingest.md is stale: run `python -m chainwatch.ingest.docs > docs/ingest.md`"
    )
