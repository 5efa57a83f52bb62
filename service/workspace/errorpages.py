"""Errors under /redaktion as workspace pages: the service's error bodies are JSON for the API,
but a person in the workspace who pastes too much (413), hits a missing page (404) or a fault
(500) gets a Swedish page with the layout and a way back, never a raw JSON body.

A pure ASGI middleware in front of the body limit (service/app.py adds it): it swaps a JSON error
answer of a /redaktion path for the page, and turns an exception into a 500 page (logged, never
shown). JSON answers that are not errors (the progress of Kontrollera and Effekt) pass unchanged.

It also adds HSTS to every answer of the service served over https (the request's scheme, which
uvicorn sets from X-Forwarded-Proto only for the trusted proxies of service/core/forwarded.py).
"""
from __future__ import annotations

import logging
from typing import Any

from service.core.forwarded import HSTS
from .views import page_context, respond

PREFIX = "/redaktion"
log = logging.getLogger("foraldrastod.redaktion")

TEXTS = {
    400: ("Felaktig begäran", "Formuläret kunde inte läsas. Gå tillbaka och försök igen."),
    404: ("Finns inte", "Sidan finns inte i redaktionen. Kontrollera adressen eller gå till översikten."),
    405: ("Fel sorts begäran", "Sidan kan inte användas så. Gå tillbaka och använd formuläret på sidan."),
    408: ("För långsamt", "Formuläret kom inte fram i tid. Gå tillbaka och skicka det igen."),
    413: ("För mycket text", "Det du skickade är större än 2 MiB, så det togs inte emot och ingenting sparades. "
                            "Gå tillbaka med webbläsarens bakåtknapp: texten finns kvar i fältet. Dela upp "
                            "den eller korta den och spara igen."),
    415: ("Fel format", "Formuläret skickades i ett format som redaktionen inte tar emot. Ladda om sidan."),
    500: ("Något gick fel", "Ett fel uppstod i redaktionen och ingenting sparades av det du just gjorde. "
                            "Gå tillbaka och försök igen; händer det igen, kontakta den som driftar tjänsten "
                            "och ange tiden."),
}


def error_page(status: int):
    title, text = TEXTS.get(status, TEXTS[500] if status >= 500 else TEXTS[400])
    return respond("redaktion/problem.html", {**page_context(None), "title": title, "text": text, "details": None},
                   status)


class WorkspaceErrorPages:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("scheme") == "https":
            send = _with_hsts(send)
        if not (scope["path"] == PREFIX or scope["path"].startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        held: dict | None = None
        replaced = False
        started = False

        async def guarded_send(message) -> None:
            nonlocal held, replaced, started
            if message["type"] == "http.response.start":
                ctype = next((v for k, v in message.get("headers", []) if k.lower() == b"content-type"), b"")
                if message["status"] >= 400 and ctype.startswith(b"application/json"):
                    held = message
                    return
                started = True
                await send(message)
                return
            if held is not None:
                if not replaced and not message.get("more_body", False):
                    replaced = True
                    await _send_page(send, held["status"], held.get("headers", []))
                return
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception:  # noqa: BLE001 - logged here, a page for the person
            log.exception("fel i %s %s", scope.get("method"), scope.get("path"))
            if started or replaced:
                raise
            replaced = True
            await _send_page(send, 500, [])


async def _send_page(send, status: int, old_headers) -> None:
    resp = error_page(status)
    keep = {b"retry-after", b"connection"}
    headers = [(k, v) for k, v in resp.raw_headers if k.lower() != b"content-length"]
    headers += [(k, v) for k, v in old_headers if k.lower() in keep]
    headers.append((b"content-length", str(len(resp.body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": resp.body})


def _with_hsts(send):
    async def hsts_send(message) -> None:
        if message["type"] == "http.response.start":
            headers = [h for h in message.get("headers", []) if h[0].lower() != b"strict-transport-security"]
            message = {**message, "headers": [*headers, (b"strict-transport-security", HSTS.encode())]}
        await send(message)

    return hsts_send
