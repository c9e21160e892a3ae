"""The web shell: a JSON API under /api/v1 and server-rendered pages (zh-CN, English on request).

Route handlers are thin adapters over domain functions (chainwatch.registry and friends); they
build no SQL. Build the app with :func:`chainwatch.web.app.create_app`.
"""
