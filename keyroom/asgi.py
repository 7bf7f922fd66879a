"""ASGI entry point: HTTP goes to Django, WebSockets to the chat consumer.

WebSocket connections must come from an allowed host (Origin checked against ALLOWED_HOSTS)
and carry a session (AuthMiddlewareStack) or a personal access token in an
``Authorization: Bearer`` header (accounts.middleware.TokenSocketMiddleware); the consumer
refuses anonymous users.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyroom.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.middleware import TokenSocketMiddleware  # noqa: E402
from chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(TokenSocketMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
