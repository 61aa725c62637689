from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("flows.api.urls")),
    # The sandboxed task frame, its media, the template preview page.
    path("", include("reviews.urls")),
    # The AWS-compatible API last: it owns "/" (POST, json 1.1) and "/human-loops" (rest-json).
    path("", include("flows.aws.urls")),
]
