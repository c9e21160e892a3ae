"""Which language a request is answered in, and remembering a choice in a cookie.

``?lang=en`` (or ``zh-CN``) on any address switches the language and sets a cookie, so the
choice sticks while the person clicks around; without either the configured default applies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import Query, Request, Response

from chainwatch.config import get_settings
from chainwatch.web.i18n import COOKIE, normalise_language, resolve_language

ONE_YEAR = 365 * 24 * 3600


async def language_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    requested = request.query_params.get("lang")
    remembered = request.cookies.get(COOKIE)
    request.state.lang = resolve_language(requested, remembered, get_settings().language)
    response = await call_next(request)
    chosen = normalise_language(requested)
    if chosen is not None and chosen != remembered:
        response.set_cookie(COOKIE, chosen, max_age=ONE_YEAR, samesite="lax", httponly=True)
    return response


def api_language(
    request: Request,
    lang: Annotated[
        Literal["zh-CN", "en"] | None,
        Query(
            description=(
                "Language of names in the answer (zh-CN or en); default: the lang cookie, then the "
                "server's setting."
            )
        ),
    ] = None,
) -> str:
    return lang or str(getattr(request.state, "lang", "zh-CN"))
