"""Portal page routes (the home "/" itself is routed by flows.aws.urls, which hands non-AWS
requests to ``reviews.views.home``). Included by ``reviews.urls``."""

from __future__ import annotations

from django.urls import path

from reviews import views, views_org, views_review

org = "org/<str:account_id>/"

urlpatterns = [
    path("work/", views.work_session, name="work"),
    path("earnings/", views.earnings, name="earnings"),
    path("public-pool/", views.public_pool, name="public-pool"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    # Team lead
    path(org, views_org.dashboard, name="org-dashboard"),
    path(org + "live/", views_org.dashboard_live, name="org-dashboard-live"),
    path(org + "teams/new/", views_org.team_new, name="org-team-new"),
    path(org + "teams/<int:team_id>/", views_org.team_detail, name="org-team"),
    path(org + "teams/<int:team_id>/remove/", views_org.team_member_delete, name="org-team-remove"),
    path(org + "invitations/new/", views_org.invitation_new, name="org-invitation-new"),
    path(org + "invitations/<int:invitation_id>/revoke/", views_org.invitation_delete, name="org-invitation-revoke"),
    # Engineer console
    path(org + "console/", views_org.console, name="console"),
    path(org + "console/task-uis/new/", views_org.task_ui_new, name="console-task-ui-new"),
    path(org + "console/task-uis/<str:name>/", views_org.task_ui_detail, name="console-task-ui"),
    path(org + "console/flows/new/", views_org.flow_new, name="console-flow-new"),
    path(org + "console/flows/<str:name>/", views_org.flow_detail, name="console-flow"),
    path(org + "console/flows/<str:name>/loops/<str:loop_name>/", views_org.loop_detail, name="console-loop"),
    path(org + "console/flows/<str:name>/gold/", views_org.gold_action, name="console-gold"),
    path(
        org + "console/flows/<str:name>/loops/<str:loop_name>/action/",
        views_org.loop_action,
        name="console-loop-action",
    ),
    # Review stage (reviews/views_review.py)
    path("reviews/", views_review.review_list, name="reviews"),
    path("reviews/<int:review_id>/", views_review.review_detail, name="review"),
    path(org + "console/flows/<str:name>/review/", views_review.flow_review_config, name="console-flow-review"),
    # Admin
    path(org + "admin/", views_org.admin_page, name="org-admin"),
    path(org + "admin/action/", views_org.admin_action, name="org-admin-action"),
]
