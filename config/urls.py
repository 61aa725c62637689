from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from reviews.calibration import flow_calibration_page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("flows.api.urls")),
    path(
        "org/<str:account_id>/console/flows/<str:name>/calibration/",
        flow_calibration_page,
        name="flow-calibration",
    ),
    # The sandboxed task frame, its media, the template preview page.
    path("", include("reviews.urls")),
    # The AWS-compatible API last: it owns "/" (POST, json 1.1) and "/human-loops" (rest-json).
    path("", include("flows.aws.urls")),
]

# An uncaught database or Redis outage answers 503 with Retry-After; anything else Django's 500.
handler500 = "config.unavailable.server_error"
