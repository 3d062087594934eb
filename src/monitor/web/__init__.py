"""The analysts' web pages, served by the same process as the API (see :mod:`monitor.web.pages`)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from monitor.config import Settings
from monitor.web.auth import Gate
from monitor.web.pages import HERE, BadToken, SignInRequired, build_router


def install(app: FastAPI, settings: Settings) -> None:
    """Add the pages, their static files and their sign-in to ``app``."""
    gate = Gate(
        secrets=[t.get_secret_value().encode() for t in settings.api.tokens],
        lifetime_s=settings.api.session_lifetime.total_seconds(),
    )
    app.state.gate = gate
    app.include_router(build_router(settings, gate))
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired) -> Response:
        from urllib.parse import urlencode

        return RedirectResponse("/ui/signin?" + urlencode({"next": exc.target}), status_code=303)

    @app.exception_handler(BadToken)
    async def bad_token(request: Request, exc: BadToken) -> Response:
        client = request.client.host if request.client else "?"
        await gate.failed(client)
        return PlainTextResponse(
            "web: invalid bearer token; send one of the tokens in api.tokens, or sign in at "
            "/ui/signin",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="monitor", error="invalid_token"'},
        )
