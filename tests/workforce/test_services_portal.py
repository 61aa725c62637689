"""Portal services and selectors: vendor isolation, the public pool, earnings, usage, roles, API
keys, the MFA rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.utils import timezone

from flows.errors import Conflict, InvalidInput, NotFound, WrongState
from flows.models import Answer
from flows.services.work import task_claim, task_submit
from reviews.consumers import counts_payload
from tests.conftest import make_org
from tests.reviews.portal_factories import PASSWORD, click_flow, loops_factory, member_of, person_factory
from workforce import permissions
from workforce.models import ApiKey, Earning, Membership, Role
from workforce.selectors import earnings_of, usage_by_month, worker_stats
from workforce.services import public_pool_get_or_create
from workforce.services_portal import (
    api_key_issue,
    api_key_revoke,
    earnings_record,
    format_usd,
    member_add,
    member_role_set,
    organization_mfa_set,
    price_mills,
    public_pool_opt_in_set,
    vendor_subscribe,
    vendor_team_offer,
    vendor_unsubscribe,
)

PRICE = {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}


def _answer(worker, org, flow) -> Answer:  # type: ignore[no-untyped-def]
    task = task_claim(worker=worker, flow_definition=flow)
    assert task is not None
    return task_submit(worker=worker, task_id=task.pk, answer_content={"label": "cat"}).answer


# --- Vendors ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_vendor_workers_see_only_the_subscribed_customers_vendor_flows() -> None:
    # given a vendor offering a team, a subscribing customer and a customer who does not subscribe
    vendor, customer, bystander = make_org(), make_org(), make_org()
    team = vendor_team_offer(
        organization=vendor.organization, name="labelers", marketplace_title="Fast labels", marketplace_description="x"
    )
    vendor_subscribe(organization=customer.organization, workteam_id=team.pk)
    vendor_worker = member_of(team, person_factory())
    vendor_flow = click_flow(customer, team=team)
    private_flow = click_flow(customer)  # the customer's own private team
    bystander_flow = click_flow(bystander)
    for org, flow in ((customer, vendor_flow), (customer, private_flow), (bystander, bystander_flow)):
        loops_factory(org, flow, 2)
    # when the vendor's worker looks at their work
    seen = {row["id"]: row["available"] for row in counts_payload(vendor_worker)}
    # then only the customer's flow on the vendor team shows, and only it can be claimed
    assert seen == {vendor_flow.pk: 2}
    task = task_claim(worker=vendor_worker)
    assert task is not None
    assert task.flow_definition_id == vendor_flow.pk
    # and after the customer unsubscribes, nothing shows
    vendor_unsubscribe(organization=customer.organization, workteam_id=team.pk)
    assert counts_payload(vendor_worker) == []


@pytest.mark.django_db
def test_vendor_subscription_rules() -> None:
    vendor, customer = make_org(), make_org()
    with pytest.raises(InvalidInput):
        vendor_team_offer(organization=vendor.organization, name="t", marketplace_title="", marketplace_description="")
    team = vendor_team_offer(
        organization=vendor.organization, name="t", marketplace_title="T", marketplace_description=""
    )
    assert team.crowd == "vendor"
    assert team.listing_id
    with pytest.raises(Conflict):
        vendor_team_offer(organization=vendor.organization, name="t", marketplace_title="T", marketplace_description="")
    with pytest.raises(InvalidInput):
        vendor_subscribe(organization=vendor.organization, workteam_id=team.pk)
    with pytest.raises(NotFound):
        vendor_subscribe(organization=customer.organization, workteam_id=customer.workteam.pk)
    first = vendor_subscribe(organization=customer.organization, workteam_id=team.pk)
    assert vendor_subscribe(organization=customer.organization, workteam_id=team.pk).pk == first.pk
    with pytest.raises(NotFound):
        vendor_unsubscribe(organization=vendor.organization, workteam_id=team.pk)


# --- Public pool and earnings ------------------------------------------------------------------------


@pytest.mark.django_db
def test_public_work_shows_with_its_price_only_to_workers_who_opted_in() -> None:
    # given a public flow with a price, and a private flow of another organization
    org, other = make_org(), make_org()
    public_flow = click_flow(org, team=public_pool_get_or_create(), price=PRICE)
    loops_factory(org, public_flow, 3)
    loops_factory(other, click_flow(other), 1)
    worker = person_factory()
    # when the worker has not opted in, nothing shows
    assert counts_payload(worker) == []
    # when they opt in, the public flow shows with its price, and nothing private
    public_pool_opt_in_set(user=worker, opt_in=True)
    (row,) = counts_payload(worker)
    assert row["id"] == public_flow.pk
    assert row["available"] == 3
    assert row["price"] == "$0.036"
    public_pool_opt_in_set(user=worker, opt_in=False)
    assert counts_payload(worker) == []


@pytest.mark.django_db
def test_earnings_one_row_per_accepted_public_answer_and_none_for_private_work() -> None:
    org = make_org()
    public_flow = click_flow(org, team=public_pool_get_or_create(), price=PRICE)
    loops_factory(org, public_flow, 2)
    worker = person_factory()
    public_pool_opt_in_set(user=worker, opt_in=True)
    answers = [_answer(worker, org, public_flow) for _ in range(2)]
    for answer in answers:
        assert earnings_record(answer=answer) is not None
    # recording twice is harmless
    earnings_record(answer=answers[0])
    summary = earnings_of(worker)
    assert summary.count == 2
    assert summary.total_mills == 72
    assert format_usd(summary.total_mills) == "$0.072"
    # a private answer earns nothing
    private_flow = click_flow(org)
    loops_factory(org, private_flow, 1)
    insider = member_of(org.workteam, person_factory())
    assert earnings_record(answer=_answer(insider, org, private_flow)) is None
    assert Earning.objects.filter(worker=insider).count() == 0


def test_price_arithmetic() -> None:
    assert price_mills(None) == 0
    assert price_mills({"Dollars": 1, "Cents": 20, "TenthFractionsOfACent": 4}) == 1204
    assert format_usd(1204) == "$1.204"


@pytest.mark.django_db
def test_usage_counts_objects_reviewed_per_month() -> None:
    org, other = make_org(), make_org()
    flow = click_flow(org, task_count=2)
    loops_factory(org, flow, 2)
    loops_factory(other, click_flow(other), 1)
    workers = [member_of(org.workteam, person_factory()) for _ in range(2)]
    answers = [_answer(w, org, flow) for w in workers for _ in range(2)]
    # move one loop's answers to an earlier month
    earlier = timezone.now().replace(day=1) - timedelta(days=20)
    first_loop = answers[0].loop_id
    Answer.objects.filter(loop_id=first_loop).update(submission_time=earlier)
    usage = usage_by_month(org.organization)
    assert [(u.objects_reviewed, u.answers) for u in usage] == [(1, 2), (1, 2)]
    assert usage[0].month > usage[1].month
    assert isinstance(usage[0].month, datetime)
    assert usage_by_month(other.organization) == []
    stats = {s.email: s for s in worker_stats(org.organization)}
    assert {s.answers for s in stats.values()} == {2}
    assert set(stats) == {w.email for w in workers}


# --- Roles, keys, MFA ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_roles_and_the_last_admin() -> None:
    org = make_org()
    engineer = person_factory(org, role=Role.ENGINEER)
    assert permissions.is_engineer(engineer, org.organization)
    assert not permissions.is_admin(engineer, org.organization)
    assert not permissions.is_team_lead(engineer, org.organization)
    assert permissions.role_in(engineer, make_org().organization) is None
    with pytest.raises(WrongState):
        member_role_set(organization=org.organization, user_id=org.admin.pk, role=Role.WORKER, acting_user=org.admin)
    member_role_set(organization=org.organization, user_id=engineer.pk, role=Role.ADMIN, acting_user=org.admin)
    member_role_set(organization=org.organization, user_id=org.admin.pk, role=Role.WORKER, acting_user=engineer)
    assert Membership.objects.get(user=org.admin, organization=org.organization).role == Role.WORKER
    with pytest.raises(InvalidInput):
        member_role_set(organization=org.organization, user_id=engineer.pk, role="owner", acting_user=engineer)
    with pytest.raises(NotFound):
        member_add(organization=org.organization, email="nobody@portal.test", role=Role.ENGINEER)
    with pytest.raises(Conflict):
        member_add(organization=org.organization, email=engineer.email, role=Role.ENGINEER)


@pytest.mark.django_db
def test_api_key_secret_shown_once_and_revocation_is_scoped() -> None:
    org, other = make_org(), make_org()
    client = Client()
    client.force_login(org.admin)
    url = f"/org/{org.account_id}/admin/"
    client.post(url + "action/", {"action": "key_create", "name": "ci"})
    key = ApiKey.objects.get(organization=org.organization, name="ci")
    first = client.get(url).content.decode()
    assert key.secret_access_key in first
    assert key.secret_access_key not in client.get(url).content.decode()
    with pytest.raises(NotFound):
        api_key_revoke(organization=other.organization, key_id=key.pk)
    client.post(url + "action/", {"action": "key_revoke", "key_id": key.pk})
    key.refresh_from_db()
    assert key.revoked_at is not None
    issued = api_key_issue(organization=org.organization, name="x", created_by=org.admin)
    assert issued.is_active


@pytest.mark.django_db
def test_mfa_rule_sends_members_without_totp_to_set_it_up_first() -> None:
    org = make_org()
    worker = member_of(org.workteam, person_factory())
    client = Client()
    assert client.login(email=worker.email, password=PASSWORD)
    assert client.get("/").status_code == 200
    # when the admin requires MFA
    organization_mfa_set(organization=org.organization, required=True)
    # then every page sends the member to the TOTP setup, which itself stays reachable
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/work/").status_code == 302
    # (allauth asks for the password again before TOTP setup: that page is reachable too)
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 302
    assert setup["Location"].startswith("/accounts/reauthenticate/")
    assert client.get(setup["Location"]).status_code == 200
    # and once TOTP is set up, the pages open again
    Authenticator.objects.create(user=worker, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get("/").status_code == 200
    # people outside the organization are not affected
    outsider = person_factory()
    other = Client()
    other.force_login(outsider)
    assert other.get("/").status_code == 200
