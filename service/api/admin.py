"""Operations: /healthz, /readyz, /metrics and the token-guarded POST /v1/admin/reload."""
from __future__ import annotations

import asyncio
import hmac
import os
import threading
import time

import orjson
from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from service.api.routes import ruleset_of
from service.api.schemas import Health, ReloadFailedOut, ReloadOut
from service.core import health, metrics
from service.core.deciding import json_response, state_of
from service.core.errors import ErrorBody, error
from service.core.logs import log_event
from service.core.state import ReloadFailed

router = APIRouter()


@router.get("/healthz", tags=["Drift"], response_model=Health, summary="Hälsokontroll",
            description="Svarar `ok` och vilket regelpaket (namn och version) som används.")
def healthz(request: Request) -> Response:
    state = state_of(request)
    pack = state.engine.pack
    return json_response(orjson.dumps({"status": "ok", "ruleset": ruleset_of(pack),
                                       "rules": len(pack.rules), "reloads": state.reloads,
                                       **health.parts(request.app)}))


@router.get("/readyz", tags=["Drift"], summary="Redo att svara",
            description="200 när arbetsprocessen som svarar har ett inläst regelpaket, annars 503.",
            responses={503: {"model": ErrorBody}})
def readyz(request: Request) -> Response:
    state = state_of(request)
    if not state.ready:
        raise error(503, "regelpaket", "inget regelpaket är inläst ännu", "no rule pack loaded yet")
    body = {"status": "redo", "ruleset": ruleset_of(state.engine.pack)}
    if getattr(state, "source_problem", None):  # still ready: decisions go on from the loaded pack
        body["varning"] = {**state.source_problem, "följd": "besluten ges med det inlästa regelpaketet; "
                           "nya publiceringar och /redaktion väntar tills databasen svarar igen"}
    return json_response(orjson.dumps(body))


@router.get("/metrics", tags=["Drift"], summary="Mätvärden (Prometheus)", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus textformat"}},
            description="Prometheus textformat: begäranden per vägmall och status, beslutstid, "
                        "regelpaketets version, omladdningar och avvisade personnummer. Inga "
                        "uppgifter om familjer.")
def metrics_endpoint() -> Response:
    body, ctype = metrics.exposition()
    return Response(body, media_type=ctype)


# --------------------------------------------------------------------------- admin
def admin_token() -> str | None:
    return os.environ.get("FORALDRASTOD_ADMIN_TOKEN") or None


class TokenThrottle:
    """Failed admin tokens per client: after FREE failures within WINDOW seconds, every further
    attempt from that client is refused with 429 until the window has passed, whatever token it
    carries. Bounded memory (oldest clients forgotten first)."""

    FREE = 5
    WINDOW = 60.0
    MAX_CLIENTS = 10_000

    def __init__(self) -> None:
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        now = time.monotonic()
        with self._lock:
            times = [t for t in self._failures.get(client, []) if now - t < self.WINDOW]
            if len(times) < self.FREE:
                return 0
            return max(1, int(self.WINDOW - (now - times[0])) + 1)

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            times = [t for t in self._failures.pop(client, []) if now - t < self.WINDOW]
            times.append(now)
            self._failures[client] = times[-self.FREE * 2:]
            while len(self._failures) > self.MAX_CLIENTS:
                self._failures.pop(next(iter(self._failures)))


def throttle_of(request: Request) -> TokenThrottle:
    """One throttle per app (per worker)."""
    throttle = getattr(request.app.state, "token_throttle", None)
    if throttle is None:
        throttle = request.app.state.token_throttle = TokenThrottle()
    return throttle


def _client(request: Request) -> str:
    return request.client.host if request.client else "okänd"


def check_token(request: Request, token: str) -> None:
    client = _client(request)
    throttle = throttle_of(request)
    wait = throttle.retry_after(client)
    if wait:
        metrics.admin_refused()
        log_event("admin", limit_key=client, ok=False, reason="för många felaktiga försök", client=client)
        raise error(429, "Authorization", "för många felaktiga försök; vänta och försök igen",
                    "too many failed attempts; wait and try again", headers={"Retry-After": str(wait)})
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        throttle.failed(client)
        metrics.admin_refused()
        log_event("admin", limit_key=client, ok=False, reason="token saknas", client=client)
        raise error(401, "Authorization", "inloggning krävs: skicka 'Authorization: Bearer <token>'",
                    "authentication required: send 'Authorization: Bearer <token>'",
                    headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        throttle.failed(client)
        metrics.admin_refused()
        log_event("admin", limit_key=client, ok=False, reason="fel token", client=client)
        raise error(403, "Authorization", "fel token: åtkomst nekad", "wrong token: forbidden")


ACK_WAIT_SECONDS = 5.0


async def reload_endpoint(request: Request) -> Response:
    token = admin_token()
    if token is None:
        raise error(404, "sökväg", "finns inte", "not found")
    check_token(request, token)
    log_event("admin", ok=True, action="reload", client=_client(request))
    state = state_of(request)
    try:
        old, new = await asyncio.to_thread(state.reload)
    except ReloadFailed as exc:
        sv = "Regelpaketet är ogiltigt; det gamla regelpaketet används fortfarande"
        en = "The rule pack is invalid; the old one keeps serving"
        body = {"message": f"{sv}: {exc.errors[0] if exc.errors else ''} / {en}",
                "errors": [{"field": "regelpaket", "sv": e, "en": "invalid rule pack"} for e in exc.errors[:50]],
                "pack_errors": exc.errors}
        log_event("reload", trigger="http", ok=False, errors=exc.errors[:20])
        return json_response(orjson.dumps(body), 422)
    serving_token = state.serving.token
    deadline = time.monotonic() + ACK_WAIT_SECONDS
    switched, total = state.switched(serving_token)
    while switched < total and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        switched, total = state.switched(serving_token)
    log_event("reload", trigger="http", ok=True, previous=old, ruleset=new, workers_switched=switched, workers=total)
    pack = state.engine.pack
    return json_response(orjson.dumps({
        "status": "omladdat" if switched == total else "delvis omladdat",
        "message": f"Regelpaketet {new['name']} {new['version']} används nu av {switched} av {total} "
                   f"arbetsprocesser (tidigare {old['version']}) "
                   f"/ Rule pack {new['version']} now serving in {switched} of {total} workers",
        "previous": {**old, "title": None},
        "ruleset": ruleset_of(pack),
        "workers_switched": switched,
        "workers": total,
    }))


def add_admin_route(router_or_app, enabled: bool) -> None:
    router_or_app.add_api_route(
        "/v1/admin/reload", reload_endpoint, methods=["POST"], tags=["Drift"],
        include_in_schema=enabled, response_model=ReloadOut,
        summary="Läs in regelpaketet på nytt",
        description=("Läser in och kompilerar regelpaketet och byter till det först när det är helt "
                     "inläst, i alla arbetsprocesser; svaret väntar upp till 5 s och säger hur många "
                     "som har bytt. Ett ogiltigt paket ger 422 med felen som `fil:rad: meddelande` och "
                     "det gamla paketet fortsätter att användas. Kräver `Authorization: Bearer <token>` "
                     "(miljövariabeln FORALDRASTOD_ADMIN_TOKEN); utan den variabeln finns inte vägen. "
                     "Efter fem felaktiga försök på en minut svarar vägen 429 till den klienten."),
        responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody},
                   422: {"model": ReloadFailedOut}, 429: {"model": ErrorBody}},
    )
