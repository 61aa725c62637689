"""Who may open which portal page, role by role, as a table (CVAT's shape): every page of an
organization answers 404 to people without the role there, anonymous people are sent to sign in,
and a member of one organization never reaches another's pages or objects."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from tests.conftest import Org, make_org
from tests.reviews.portal_factories import click_flow, loops_factory, person_factory
from workforce.models import Invitation, Role
from workforce.services_invitations import invitation_create

ROLES = ("admin", "engineer", "team_lead", "worker", "outsider", "anonymous")

# page -> the roles that get 200 (everyone else signed in gets 404; anonymous is redirected).
PAGE_TABLE: dict[str, set[str]] = {
    "/org/{acct}/": {"admin", "engineer", "team_lead"},
    "/org/{acct}/live/": {"admin", "engineer", "team_lead"},
    "/org/{acct}/teams/{team}/": {"admin", "engineer", "team_lead"},
    "/org/{acct}/console/": {"admin", "engineer"},
    "/org/{acct}/console/task-uis/new/": {"admin", "engineer"},
    "/org/{acct}/console/task-uis/{ui}/": {"admin", "engineer"},
    "/org/{acct}/console/flows/new/": {"admin", "engineer"},
    "/org/{acct}/console/flows/{flow}/": {"admin", "engineer"},
    "/org/{acct}/console/flows/{flow}/loops/{loop}/": {"admin", "engineer"},
    "/org/{acct}/admin/": {"admin"},
}
# POST forms -> the roles allowed to use them (others get 404 and nothing changes).
POST_TABLE: dict[str, set[str]] = {
    "/org/{acct}/teams/new/": {"admin", "team_lead"},
    "/org/{acct}/invitations/new/": {"admin", "team_lead"},
    "/org/{acct}/invitations/{invitation}/revoke/": {"admin", "team_lead"},
    "/org/{acct}/teams/{team}/remove/": {"admin", "team_lead"},
    "/org/{acct}/console/task-uis/new/": {"admin", "engineer"},
    "/org/{acct}/console/flows/new/": {"admin", "engineer"},
    "/org/{acct}/console/flows/{flow}/loops/{loop}/action/": {"admin", "engineer"},
    "/org/{acct}/admin/action/": {"admin"},
}


@dataclass
class World:
    org: Org
    other: Org
    clients: dict[str, Client]
    ids: dict[str, str]


def _world() -> World:
    org, other = make_org(), make_org()
    clients: dict[str, Client] = {}
    for role in ("engineer", "team_lead", "worker"):
        c = Client()
        c.force_login(person_factory(org, role=role))
        clients[role] = c
    clients["admin"] = Client()
    clients["admin"].force_login(org.admin)
    clients["outsider"] = Client()
    clients["outsider"].force_login(other.admin)
    clients["anonymous"] = Client()
    flow = click_flow(org)
    (loop,) = loops_factory(org, flow)
    sent = invitation_create(workteam=org.workteam, email="someone@portal.test", invited_by=org.admin)
    ids = {
        "acct": org.account_id,
        "team": str(org.workteam.pk),
        "ui": flow.human_task_ui.name,
        "flow": flow.name,
        "loop": loop.name,
        "invitation": str(sent.invitation.pk),
    }
    return World(org=org, other=other, clients=clients, ids=ids)


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(PAGE_TABLE))
def test_get_pages_by_role(page: str) -> None:
    # given an organization with one person of each role, and an admin of another organization
    w = _world()
    url = page.format(**w.ids)
    for role in ROLES:
        # when each of them opens the page
        response = w.clients[role].get(url)
        # then only the roles in the table see it; signed-out people are sent to sign in
        if role == "anonymous":
            assert response.status_code == 302, (role, url)
            assert "/accounts/login/" in response["Location"], (role, url)
        elif role in PAGE_TABLE[page]:
            assert response.status_code == 200, (role, url, response.status_code)
        else:
            assert response.status_code == 404, (role, url, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("page", sorted(POST_TABLE))
def test_post_forms_refuse_roles_without_the_right(page: str) -> None:
    # given the same world
    w = _world()
    url = page.format(**w.ids)
    for role in ROLES:
        if role in POST_TABLE[page]:
            continue
        # when someone without the role posts the form (an empty one is enough to be refused)
        response = w.clients[role].post(url, {"action": "stop", "email": "x@portal.test", "team_id": w.ids["team"]})
        # then they are refused before anything happens
        expected = 302 if role == "anonymous" else 404
        assert response.status_code == expected, (role, url, response.status_code)
    assert Invitation.objects.filter(email="x@portal.test").count() == 0
    assert Invitation.objects.get(pk=w.ids["invitation"]).revoked_at is None


@pytest.mark.django_db
def test_objects_of_another_organization_are_not_found_even_for_its_neighbours_admin() -> None:
    # given two organizations, each with a flow, a loop and a team
    a, b = make_org(), make_org()
    flow_b = click_flow(b)
    (loop_b,) = loops_factory(b, flow_b)
    client = Client()
    client.force_login(a.admin)
    # when A's admin names B's objects under A's own account id
    urls = [
        f"/org/{a.account_id}/console/flows/{flow_b.name}/",
        f"/org/{a.account_id}/console/flows/{flow_b.name}/loops/{loop_b.name}/",
        f"/org/{a.account_id}/console/task-uis/{flow_b.human_task_ui.name}/",
        f"/org/{a.account_id}/teams/{b.workteam.pk}/",
    ]
    # then nothing is found
    for url in urls:
        assert client.get(url).status_code == 404, url
    # and B's loop cannot be stopped from A
    response = client.post(
        f"/org/{a.account_id}/console/flows/{flow_b.name}/loops/{loop_b.name}/action/", {"action": "stop"}
    )
    assert response.status_code == 404
    loop_b.refresh_from_db()
    assert loop_b.status == "InProgress"


@pytest.mark.django_db
def test_worker_pages_need_a_signed_in_user() -> None:
    client = Client()
    for url in ("/work/", "/earnings/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    worker = person_factory(make_org(), role=Role.WORKER)
    client.force_login(worker)
    for url in ("/", "/work/", "/earnings/"):
        assert client.get(url).status_code == 200, url
