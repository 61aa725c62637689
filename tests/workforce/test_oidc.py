"""OpenID Connect sign-in per workforce, against a local fake identity provider."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialApp
from django.test import Client

from flows.services.workforces import workforce_update
from flows.services.workteams import workteam_delete
from tests.conftest import make_org
from workforce import oidc
from workforce.models import Membership, TeamMembership, User, Workforce, Workteam


class FakeIdP:
    """Discovery, token and userinfo endpoints; the userinfo claims are set per test."""

    def __init__(self) -> None:
        self.claims: dict[str, Any] = {}
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.startswith("/.well-known/openid-configuration"):
                    self._json(idp.discovery())
                elif self.path.startswith("/userinfo"):
                    self._json(idp.claims)
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if self.path.startswith("/token"):
                    self._json({"access_token": "at-123", "token_type": "Bearer", "expires_in": 300})
                else:
                    self.send_error(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }

    def oidc_config(self) -> dict[str, Any]:
        return {
            "ClientId": "loupe-client",
            "ClientSecret": "s3cret",
            "Issuer": self.url,
            "AuthorizationEndpoint": f"{self.url}/authorize",
            "TokenEndpoint": f"{self.url}/token",
            "UserInfoEndpoint": f"{self.url}/userinfo",
            "LogoutEndpoint": f"{self.url}/logout",
            "JwksUri": f"{self.url}/jwks",
        }


@pytest.fixture
def idp() -> Iterator[FakeIdP]:
    server = FakeIdP()
    yield server
    server.server.shutdown()


def _oidc_workforce(idp: FakeIdP) -> tuple[Workforce, Workteam, Workteam]:
    org = make_org()
    wf = Workforce.objects.get(organization=org.organization)
    # A2I lets the OIDC configuration change only while the workforce has no teams.
    workteam_delete(organization=org.organization, name="default")
    wf.oidc_config = idp.oidc_config()  # the issuer is http://127.0.0.1 here, which the API refuses
    wf.save()
    oidc.workforce_oidc_sync(workforce=wf)
    labelers = Workteam.objects.create(
        organization=org.organization,
        workforce=wf,
        name="labelers",
        description="d",
        member_definitions=[{"OidcMemberDefinition": {"Groups": ["labelers"]}}],
    )
    reviewers = Workteam.objects.create(
        organization=org.organization,
        workforce=wf,
        name="reviewers",
        description="d",
        member_definitions=[{"OidcMemberDefinition": {"Groups": ["reviewers", "leads"]}}],
    )
    return wf, labelers, reviewers


def _sign_in(client: Client, wf: Workforce) -> Any:
    provider_id = oidc.provider_id_for(wf)
    start = client.post(f"/accounts/oidc/{provider_id}/login/")
    assert start.status_code == 302, start.content[:500]
    location = urlsplit(start["Location"])
    query = parse_qs(location.query)
    assert location.path == "/authorize"
    assert query["client_id"] == ["loupe-client"]
    return client.get(f"/accounts/oidc/{provider_id}/login/callback/", {"code": "code-1", "state": query["state"][0]})


@pytest.mark.django_db
def test_workforce_oidc_config_becomes_a_sign_in_app(idp: FakeIdP) -> None:
    wf, _, _ = _oidc_workforce(idp)
    app = SocialApp.objects.get(provider="openid_connect", provider_id=oidc.provider_id_for(wf))
    assert app.client_id == "loupe-client"
    assert app.settings["server_url"] == idp.url
    assert app.settings["openid_configuration_overrides"]["token_endpoint"] == f"{idp.url}/token"


@pytest.mark.django_db
def test_a_worker_signs_in_through_the_idp_and_joins_the_teams_of_their_groups(idp: FakeIdP) -> None:
    # given
    wf, _labelers, _reviewers = _oidc_workforce(idp)
    idp.claims = {"sub": "idp-user-1", "email": "ada@idp.test", "email_verified": True, "groups": ["labelers"]}
    client = Client()
    # when
    response = _sign_in(client, wf)
    # then
    assert response.status_code == 302, response.content[:800]
    user = User.objects.get(email="ada@idp.test")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert Membership.objects.get(user=user, organization=wf.organization).role == "worker"
    assert set(TeamMembership.objects.filter(user=user).values_list("workteam__name", flat=True)) == {"labelers"}

    # when the IdP moves them to another group and they sign in again
    idp.claims["groups"] = ["leads"]
    second = _sign_in(Client(), wf)
    # then their teams follow
    assert second.status_code == 302
    assert set(TeamMembership.objects.filter(user=user).values_list("workteam__name", flat=True)) == {"reviewers"}
    assert User.objects.filter(email="ada@idp.test").count() == 1


@pytest.mark.django_db
def test_an_unknown_provider_id_is_not_a_sign_in(idp: FakeIdP) -> None:
    response = Client().post("/accounts/oidc/workforce-999999/login/")
    assert response.status_code == 404
    assert not User.objects.filter(email="ada@idp.test").exists()


@pytest.mark.django_db
def test_removing_the_oidc_configuration_removes_the_sign_in(idp: FakeIdP) -> None:
    wf, labelers, reviewers = _oidc_workforce(idp)
    labelers.delete()
    reviewers.delete()
    wf.oidc_config = None
    wf.save()
    oidc.workforce_oidc_sync(workforce=wf)
    assert not SocialApp.objects.filter(provider_id=oidc.provider_id_for(wf)).exists()


@pytest.mark.django_db
def test_update_workforce_with_teams_is_refused_and_keeps_the_app(idp: FakeIdP) -> None:
    wf, _, _ = _oidc_workforce(idp)
    new = dict(idp.oidc_config(), Issuer="https://idp.example.test", ClientId="other")
    for key in ("AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint", "LogoutEndpoint", "JwksUri"):
        new[key] = "https://idp.example.test/x"
    with pytest.raises(Exception, match="no work teams"):
        workforce_update(organization=wf.organization, name=wf.name, oidc_config=new)
    assert SocialApp.objects.get(provider_id=oidc.provider_id_for(wf)).client_id == "loupe-client"


@pytest.mark.django_db
def test_the_sign_in_page_offers_the_workforce_identity_provider(idp: FakeIdP) -> None:
    wf, _, _ = _oidc_workforce(idp)
    html = Client().get("/accounts/login/").content.decode()
    assert f"/accounts/oidc/{oidc.provider_id_for(wf)}/login/" in html
