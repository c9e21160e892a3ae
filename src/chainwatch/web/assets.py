"""Front-end packages installed with npm (ECharts, Swagger UI), served by the app itself.

Government intranets are closed, so nothing is loaded from a CDN: `npm ci` at the repository
root installs the pinned packages into node_modules, and the app serves them under
/static/vendor/. Where they are missing, pages still render their tables and say how to get the
charts.
"""

from __future__ import annotations

from pathlib import Path

import chainwatch
from chainwatch.config import get_settings

# Package name -> the folder inside it that the browser needs.
VENDOR_PACKAGES = {"echarts": "dist", "swagger-ui-dist": ""}
ECHARTS_SCRIPT = "/static/vendor/echarts/echarts.min.js"
SWAGGER_JS = "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js"
SWAGGER_CSS = "/static/vendor/swagger-ui-dist/swagger-ui.css"


def node_modules_dir() -> Path | None:
    """CHAINWATCH_ASSETS_DIR if set, else the nearest node_modules above the package."""
    configured = get_settings().assets_dir
    if configured is not None:
        folder = configured.expanduser().resolve()
        # Accept the node_modules folder itself or the project folder that holds it.
        return folder / "node_modules" if (folder / "node_modules").is_dir() else folder
    package_dir = Path(chainwatch.__file__).resolve().parent
    for parent in package_dir.parents:
        candidate = parent / "node_modules"
        if candidate.is_dir():
            return candidate
    return None


def vendor_folders() -> dict[str, Path]:
    """The installed vendor packages, by name, with the folder to serve for each."""
    root = node_modules_dir()
    if root is None:
        return {}
    found = {}
    for package, inner in VENDOR_PACKAGES.items():
        folder = root / package / inner if inner else root / package
        if folder.is_dir():
            found[package] = folder
    return found
