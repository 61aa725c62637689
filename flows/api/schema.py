"""OpenAPI descriptions of Loupe's own authentication classes (drf-spectacular extensions).

Imported by ``flows.api.common`` so that the extensions are registered before a schema is built.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "workforce.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An organization's API key: `Api-Key <access key id>:<secret access key>`.",
        }


class WorkerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "workforce.authentication.WorkerTokenAuthentication"
    name = "workerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A worker's token: `Token <token>` (worker API only).",
        }


class SigV4Scheme(OpenApiAuthenticationExtension):
    target_class = "flows.aws.drf.SigV4Authentication"
    name = "sigv4"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "AWS Signature Version 4 with an organization's API key as the access key "
            "(`AWS4-HMAC-SHA256 Credential=<access key id>/<date>/<region>/sagemaker/aws4_request, ...`).",
        }
