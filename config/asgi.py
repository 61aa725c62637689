"""One ASGI application for HTTP and WebSockets, served by Daphne.

HTTP goes to the WSGI application in a thread pool (``config.wsgi_bridge``, one hand-off per
ordinary request): Django's own ASGI handler runs all sync code on one thread per process, which
caps sync views 3-10x lower (DESIGN.md, "Serving HTTP"). WebSockets go to the Channels
consumers. The Django app is built before the routing is imported, as Channels' sample project
does.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.wsgi import get_wsgi_application

django_wsgi = get_wsgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.wsgi_bridge import WsgiBridge  # noqa: E402
from reviews.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": WsgiBridge(django_wsgi, workers=settings.LOUPE_HTTP_THREADS),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
