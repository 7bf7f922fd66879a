"""``GET /healthz`` for load balancers: whether this process can reach its database and its
channel layer (a message to itself through the layer and back). 200 when both answer, 503 with
the failing part named otherwise. No login; nothing but "ok" / "failing" is told."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
LAYER_TIMEOUT_S = 2.0


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("health check: the database does not answer", exc_info=True)
        return False
    finally:
        connection.close()


async def _layer_answers() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        message = await asyncio.wait_for(layer.receive(channel), LAYER_TIMEOUT_S)
        return message.get("type") == "health.ping"
    except Exception:
        logger.warning("health check: the channel layer does not answer", exc_info=True)
        return False


@never_cache
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    database, layer = await asyncio.gather(
        sync_to_async(_database_answers, thread_sensitive=False)(), _layer_answers()
    )
    checks = {"database": database, "channel_layer": layer}
    body = {name: "ok" if passed else "failing" for name, passed in checks.items()}
    return JsonResponse(
        {"status": "ok" if all(checks.values()) else "failing", **body},
        status=200 if all(checks.values()) else 503,
    )
