"""The permission matrix: the policy written out by hand, and every route walked by every role.

The tables below are deliberately NOT derived from `hub.domain.permissions.POLICY`
or from `webapp.routing.ROUTES`: a change to who may do what, or a new route,
must show up here as a failing test until this file is updated on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient

import webapp.app  # noqa: F401  (importing the app registers every route)
from hub.app import Hub
from hub.domain.identity import Actor, Role, SystemActor
from hub.domain.incoming import Registration
from hub.domain.items import Attachment, ItemDraft, ItemKind, Urgency
from hub.domain.meetings import MeetingDraft
from hub.domain.permissions import Action, can
from hub.services.circulars import parse_period
from hub.services.demo import DEMO_PASSWORD
from hub.store.documents import DocFields
from tests.conftest import csrf_from, login
from tests.service.seal_helpers import made_seal, with_authority
from tests.service.test_circulation import record as circulation_record
from webapp.routing import ROUTES, RouteSpec

# -- the policy, by hand ------------------------------------------------------------------
# Each cell is "<own unit><other unit>": Y = allowed, - = refused.
# Urgent items: clerks and leaders issue from and handle for their own unit; everyone sees
# what their unit sent or received; the duty desk sees and acts on every unit's items;
# the circular's statistics are for the super admin, the duty desk, and a leader's own unit.
# One-time codes (to confirm approvals) are set up by leaders and seal keepers, each for themselves.
# Electronic seals: only the super admin (the seal authority) makes and changes them; a unit's seal
# keeper stamps with its seals, a leader of the unit approves each use.
# Received documents (收文): a unit's clerks and leaders see its register; its clerks register; the
# office (clerks) and leaders put them under supervision. Each later step is held by whom the road names.
# Meetings: a unit's clerks and leaders call and run its meetings. Reports go up from a unit's clerks and
# leaders; the receiving office's clerks and leaders adopt and answer them. The circular is the super
# admin's and the office's clerks'. Anyone but the super admin may ask for a delegate; the unit admin
# approves (the super admin for a unit admin, or in a unit without a unit admin).
POLICY_TABLE = """
action        super_admin  unit_admin  seal_keeper  clerk  leader  duty_desk  user
view_home     YY           YY          YY           YY     YY      YY         YY
view_users    YY           Y-          --           --     --      --         --
manage_users  YY           Y-          --           --     --      --         --
view_units    YY           YY          YY           YY     YY      YY         YY
manage_units  YY           --          --           --     --      --         --
view_audit    YY           --          --           --     --      --         --
issue_item    --           --          --           Y-     Y-      --         --
view_item     Y-           Y-          Y-           Y-     Y-      YY         Y-
handle_delivery --         --          --           Y-     Y-      --         --
duty_desk     --           --          --           --     --      YY         --
view_stats    YY           --          --           --     Y-      YY         --
view_sms      YY           --          --           --     --      --         --
enrol_otp     --           --          Y-           --     Y-      --         --
draft_document --          --          --           Y-     Y-      --         Y-
handle_outgoing --         --          --           Y-     --      --         --
sign_document --           --          --           --     Y-      --         --
seal_document --           --          Y-           --     --      --         --
manage_seals  YY           --          --           --     --      --         --
use_seal      --           --          Y-           --     --      --         --
approve_seal_use --        --          --           --     Y-      --         --
view_incoming --           --          --           Y-     Y-      --         --
register_incoming --       --          --           Y-     --      --         --
supervise     --           --          --           Y-     Y-      --         --
manage_meetings --         --          --           Y-     Y-      --         --
send_report   --           --          --           Y-     Y-      --         --
receive_reports --         --          --           Y-     Y-      --         --
manage_circular YY         --          --           Y-     --      --         --
request_delegation --      Y-          Y-           Y-     Y-      Y-         Y-
approve_delegation --      Y-          --           --     --      --         --
approve_admin_delegation YY --          --           --     --      --         --
view_delegations YY        Y-          --           --     --      --         --
view_cabinet  Y-           Y-          Y-           Y-     Y-      Y-         Y-
keep_cabinet  --           Y-          --           Y-     Y-      --         --
keep_phonebook YY          Y-          --           --     --      --         --
keep_services YY           --          --           Y-     --      --         --
"""


def _parse_policy(text: str) -> dict[str, dict[str, tuple[bool, bool]]]:
    lines = [ln.split() for ln in text.strip().splitlines()]
    roles = lines[0][1:]
    table: dict[str, dict[str, tuple[bool, bool]]] = {}
    for action, *cells in lines[1:]:
        assert len(cells) == len(roles), f"row {action} has {len(cells)} cells"
        table[action] = {role: (cell[0] == "Y", cell[1] == "Y") for role, cell in zip(roles, cells)}
    return table


EXPECTED = _parse_policy(POLICY_TABLE)
OWN_UNIT, OTHER_UNIT = 10, 20

# -- every route, by hand -----------------------------------------------------------------
PUBLIC = "public"
LOGGED_IN = "any logged-in user"

EXPECTED_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/"): "view_home",
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): LOGGED_IN,
    ("GET", "/lang"): PUBLIC,
    ("GET", "/admin/users"): "view_users",
    ("POST", "/admin/users"): "manage_users",
    ("GET", "/admin/users/{user_id}"): "manage_users",
    ("POST", "/admin/users/{user_id}"): "manage_users",
    ("GET", "/admin/units"): "manage_units",
    ("POST", "/admin/units"): "manage_units",
    ("GET", "/admin/audit"): "view_audit",
    ("POST", "/api/login"): PUBLIC,
    ("POST", "/api/logout"): LOGGED_IN,
    ("GET", "/api/me"): "view_home",
    ("GET", "/api/units"): "view_units",
    ("GET", "/api/users"): "view_users",
    ("POST", "/api/users"): "manage_users",
    ("POST", "/api/users/{user_id}/disable"): "manage_users",
    ("POST", "/api/users/{user_id}/enable"): "manage_users",
    ("GET", "/api/audit"): "view_audit",
    ("GET", "/api/audit/verify"): "view_audit",
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/items/new"): "issue_item",
    ("POST", "/items"): "issue_item",
    ("GET", "/inbox"): "view_item",
    ("GET", "/sent"): "view_item",
    ("GET", "/inbox.xlsx"): "view_item",
    ("GET", "/sent.xlsx"): "view_item",
    ("GET", "/items/{item_id}"): "view_item",
    ("POST", "/deliveries/{delivery_id}/ack"): "handle_delivery",
    ("POST", "/deliveries/{delivery_id}/return"): "handle_delivery",
    ("GET", "/attachments/{attachment_id}"): "view_item",
    ("GET", "/duty"): "duty_desk",
    ("POST", "/duty/deliveries/{delivery_id}"): "duty_desk",
    ("GET", "/duty/log"): "duty_desk",
    ("POST", "/duty/log"): "duty_desk",
    ("POST", "/duty/shift"): "duty_desk",
    ("GET", "/duty/log.xlsx"): "duty_desk",
    ("GET", "/api/duty/log"): "duty_desk",
    ("POST", "/api/duty/log/entries"): "duty_desk",
    ("POST", "/api/duty/shift/take"): "duty_desk",
    ("POST", "/api/duty/handovers"): "duty_desk",
    ("POST", "/api/duty/handovers/confirm"): "duty_desk",
    ("POST", "/api/duty/handovers/cancel"): "duty_desk",
    ("GET", "/stats"): "view_stats",
    ("GET", "/metrics"): PUBLIC,            # counts only, and only to metrics.allow_from addresses
    ("POST", "/_test/clock"): PUBLIC,       # 404 unless the server runs on a fake clock
    ("GET", "/ws"): "view_item",
    ("GET", "/sw.js"): PUBLIC,
    ("GET", "/admin/sms"): "view_sms",
    ("GET", "/documents"): "view_item",
    ("GET", "/documents/new"): "draft_document",
    ("POST", "/documents"): "draft_document",
    ("GET", "/documents/{doc_id}"): "view_item",        # each step is checked again by the document service
    ("POST", "/documents/{doc_id}"): "view_item",
    ("GET", "/documents/attachments/{doc_attachment_id}"): "view_item",
    ("POST", "/items/{item_id}/instruction"): "sign_document",
    ("POST", "/items/{item_id}/remind"): "issue_item",     # 提醒未签收单位: the sending unit only (else 409)
    ("POST", "/items/{item_id}/deliveries/{delivery_id}/resend"): "issue_item",   # the sending unit only (else 409)
    ("POST", "/api/items/{item_id}/remind"): "issue_item",
    ("GET", "/seals"): "manage_seals",
    ("POST", "/seals"): "manage_seals",
    ("GET", "/seals/{seal_id}"): "view_home",             # the page decides: the registry, or the unit's keeper
    ("POST", "/seals/{seal_id}"): "view_home",
    ("GET", "/keeper"): "use_seal",
    ("POST", "/documents/{doc_id}/seal"): "view_item",   # request / approve / stamp: checked per step
    ("GET", "/documents/{doc_id}/stamped"): "view_item",
    ("GET", "/documents/{doc_id}/paper.pdf"): "view_item",
    ("GET", "/api/documents/{doc_id}/pdf"): "view_item",
    ("GET", "/documents/{doc_id}/sealed.pdf"): "view_item",
    # 文件柜: any logged-in person has a cabinet of their own; the service checks each cabinet (404 if not theirs)
    ("GET", "/cabinet"): "view_home",
    ("GET", "/cabinet/folders/{folder_id}"): "view_home",
    ("GET", "/cabinet/folders/{folder_id}/list.xlsx"): "view_home",
    ("POST", "/cabinet/nodes"): "view_home",
    ("POST", "/cabinet/nodes/{node_id}/{move}"): "view_home",
    ("POST", "/cabinet/file"): "view_home",
    ("POST", "/cabinet/folders/{folder_id}/upload"): "view_home",
    ("POST", "/cabinet/places/{place_id}/{move}"): "view_home",
    ("GET", "/cabinet/files/{file_id}"): "view_home",
    ("GET", "/cabinet/files/{file_id}/download"): "view_home",
    ("POST", "/cabinet/files/{file_id}/retitle"): "view_home",
    ("GET", "/cabinet/bin"): "view_home",
    ("POST", "/cabinet/bin/restore"): "view_home",
    ("GET", "/api/cabinet"): "view_home",
    ("POST", "/api/cabinet/nodes"): "view_home",
    ("POST", "/api/cabinet/nodes/{node_id}/rename"): "view_home",
    ("POST", "/api/cabinet/nodes/{node_id}/move"): "view_home",
    ("POST", "/api/cabinet/nodes/{node_id}/delete"): "view_home",
    ("GET", "/api/cabinet/folders/{folder_id}"): "view_home",
    ("POST", "/api/cabinet/folders/{folder_id}/documents"): "view_home",
    ("POST", "/api/cabinet/folders/{folder_id}/files"): "view_home",
    ("POST", "/api/cabinet/documents/{place_id}/move"): "view_home",
    ("POST", "/api/cabinet/documents/{place_id}/copy"): "view_home",
    ("POST", "/api/cabinet/documents/{place_id}/delete"): "view_home",
    ("GET", "/api/cabinet/files/{file_id}"): "view_home",
    ("GET", "/api/cabinet/files/{file_id}/content"): "view_home",
    ("POST", "/api/cabinet/files/{file_id}/retitle"): "view_home",
    ("GET", "/api/cabinet/bin"): "view_home",
    ("POST", "/api/cabinet/bin/restore"): "view_home",
    ("GET", "/search"): "view_item",
    ("GET", "/api/search"): "view_item",
    ("POST", "/api/search"): "view_item",
    ("GET", "/api/documents/{doc_id}/sealed.pdf"): "view_item",
    ("GET", "/verify"): "view_home",
    ("POST", "/verify"): "view_home",
    ("POST", "/hooks/twilio/status"): PUBLIC,   # signed by the gateway instead (404 while SMS is off)
    ("POST", "/hooks/twilio/sms"): PUBLIC,
    ("POST", "/_test/drop-sockets"): PUBLIC,  # 404 unless the server runs on a fake clock            # a plain GET (no upgrade) is refused with 400 once let in
    ("POST", "/api/items"): "issue_item",
    ("GET", "/api/inbox"): "view_item",
    ("GET", "/api/sent"): "view_item",
    ("GET", "/api/recipient-groups"): "issue_item",        # each sender's own groups, and the built-in ones
    ("POST", "/api/recipient-groups"): "issue_item",
    ("POST", "/api/recipient-groups/{group_id}/delete"): "issue_item",
    ("GET", "/api/items/{item_id}"): "view_item",
    ("POST", "/api/deliveries/{delivery_id}/ack"): "handle_delivery",
    ("POST", "/api/deliveries/{delivery_id}/return"): "handle_delivery",
    ("POST", "/api/items/{item_id}/deliveries/{delivery_id}/resend"): "issue_item",   # the sender's, else 409
    ("GET", "/api/duty/board"): "duty_desk",
    ("POST", "/api/duty/deliveries/{delivery_id}/ack"): "duty_desk",
    ("GET", "/otp"): "enrol_otp",                  # one's own one-time codes: leaders, seal keepers
    ("POST", "/otp/enrol"): "enrol_otp",
    ("POST", "/otp/enrol/confirm"): "enrol_otp",
    ("GET", "/seals/authority.pem"): PUBLIC,      # what offline verifiers of stamped documents need
    ("GET", "/seals/crl.der"): PUBLIC,
    ("GET", "/todo"): "view_home",                 # 待办: each person's own list (the services decide what is in it)
    ("GET", "/api/todo"): "view_home",
    ("GET", "/api/badges"): PUBLIC,   # the tab bar's counts; all 0 without a session (the page then reloads)
    ("GET", "/me"): "view_home",                   # 我的
    ("GET", "/phonebook"): "view_units",           # 通讯录: every unit's duty phone, clerks and leaders
    ("GET", "/api/phonebook"): "view_units",
    ("GET", "/phonebook.xlsx"): "view_units",
    # the unit admin keeps the unit's entries; the office's clerks keep 公共服务 (another unit's clerk: 409)
    ("GET", "/phonebook/units/{unit_id}"): "keep_phonebook",
    ("POST", "/phonebook/units/{unit_id}/{move}"): "keep_phonebook",
    ("POST", "/api/phonebook/units/{unit_id}/entries"): "keep_phonebook",
    ("POST", "/api/phonebook/entries/{entry_id}"): "keep_phonebook",
    ("POST", "/api/phonebook/entries/{entry_id}/delete"): "keep_phonebook",
    ("POST", "/api/phonebook/units/{unit_id}/duty-phone"): "keep_phonebook",
    ("GET", "/services"): "view_home",
    ("POST", "/services"): "keep_services",
    ("POST", "/services/{service_id}/delete"): "keep_services",
    ("GET", "/services/{service_id}/file"): "view_home",
    ("GET", "/api/services"): "view_home",
    ("POST", "/api/services"): "keep_services",
    ("POST", "/api/services/{service_id}/delete"): "keep_services",
    ("GET", "/api/services/{service_id}/file"): "view_home",
    # 传阅: the record's unit (clerks, leaders) circulates; the sender, its office and the readers see the view;
    # each reader reads their own step (the service answers everyone else 404)
    ("GET", "/incoming/{incoming_id}/circulations/new"): "view_incoming",
    ("POST", "/incoming/{incoming_id}/circulations"): "view_incoming",
    ("GET", "/circulations"): "view_home",                  # 我发起的传阅: the circulations one sent
    ("GET", "/api/circulations"): "view_home",
    ("GET", "/circulations/{circulation_id}"): "view_home",
    ("POST", "/circulations/{circulation_id}/withdraw"): "view_incoming",   # its sender, or the office
    ("POST", "/circulations/{circulation_id}/remind"): "view_incoming",
    ("POST", "/road-steps/{step_id}/read"): "view_home",
    ("GET", "/api/incoming/{incoming_id}/circulations"): "view_home",
    ("POST", "/api/incoming/{incoming_id}/circulations"): "view_incoming",
    ("GET", "/api/circulations/{circulation_id}"): "view_home",
    ("POST", "/api/circulations/{circulation_id}/withdraw"): "view_incoming",
    ("POST", "/api/circulations/{circulation_id}/remind"): "view_incoming",
    ("POST", "/api/road-steps/{step_id}/read"): "view_home",
    # 收文: the unit's clerks register (by hand, or a signed-for delivery) and set auto-registering; its
    # clerks and leaders list them; a record, its scans and its moves: any logged-in person, the service
    # answering 404 to anyone the road gives no part, and each move to whoever holds its step
    ("GET", "/incoming"): "view_incoming",
    ("POST", "/incoming/settings"): "register_incoming",
    ("GET", "/incoming/new"): "register_incoming",
    ("POST", "/incoming"): "register_incoming",
    ("POST", "/items/{item_id}/register"): "register_incoming",
    ("GET", "/incoming/attachments/{incoming_attachment_id}"): "view_home",
    ("GET", "/incoming/{incoming_id}/files/{attachment_id}"): "view_home",   # the network document's files
    ("GET", "/incoming/{incoming_id}"): "view_home",
    ("POST", "/incoming/{incoming_id}/review"): "view_home",
    ("POST", "/incoming/{incoming_id}/return"): "view_home",
    ("POST", "/incoming/{incoming_id}/propose"): "view_home",
    ("POST", "/incoming/{incoming_id}/instruct"): "view_home",
    ("POST", "/incoming/{incoming_id}/assign"): "view_home",
    ("POST", "/incoming/{incoming_id}/reassign"): "view_home",
    ("POST", "/incoming/{incoming_id}/assist"): "view_home",
    ("POST", "/incoming/{incoming_id}/result"): "view_home",
    ("POST", "/incoming/{incoming_id}/reply"): "view_home",
    ("POST", "/incoming/{incoming_id}/close"): "view_home",
    ("GET", "/api/incoming"): "view_incoming",
    ("POST", "/api/incoming"): "register_incoming",
    ("POST", "/api/items/{item_id}/register"): "register_incoming",
    ("POST", "/api/incoming/settings"): "register_incoming",
    ("GET", "/api/incoming/{incoming_id}"): "view_home",
    ("POST", "/api/incoming/{incoming_id}/moves/{move}"): "view_home",
    # 催办 / 督办: the record unit's office (clerks, leaders) chases a step, supervises, sees the board of its own
    # unit; the lead's progress report: whoever holds the report step (the service says 403/409 to the others)
    ("POST", "/road-steps/{step_id}/chase"): "supervise",
    ("POST", "/api/road-steps/{step_id}/chase"): "supervise",
    ("GET", "/api/incoming/{incoming_id}/chases"): "supervise",
    ("POST", "/incoming/{incoming_id}/supervise"): "supervise",
    ("POST", "/api/incoming/{incoming_id}/supervise"): "supervise",
    ("POST", "/incoming/{incoming_id}/progress"): "view_incoming",
    ("POST", "/api/incoming/{incoming_id}/progress"): "view_incoming",
    ("GET", "/supervision"): "supervise",
    ("GET", "/supervision.xlsx"): "supervise",
    ("GET", "/api/supervision"): "supervise",
    # 收文登记簿 / 发文登记簿: always the reader's own unit's (its clerks and leaders)
    ("GET", "/registers/incoming"): "view_incoming",
    ("GET", "/registers/incoming.xlsx"): "view_incoming",
    ("GET", "/registers/incoming.csv"): "view_incoming",
    ("GET", "/registers/outgoing"): "view_incoming",
    ("GET", "/registers/outgoing.xlsx"): "view_incoming",
    ("GET", "/registers/outgoing.csv"): "view_incoming",
    ("GET", "/api/registers/incoming"): "view_incoming",
    ("GET", "/api/registers/outgoing"): "view_incoming",
    # 会议管理: whoever sees the notice sees the meeting (the service answers 404 to the others); the organiser's
    # unit (clerks, leaders) calls, changes, postpones, cancels and chases; an invited unit's clerks and leaders reply
    ("GET", "/meetings"): "view_item",
    ("GET", "/meetings.xlsx"): "view_item",
    ("GET", "/meetings/new"): "manage_meetings",
    ("POST", "/meetings"): "manage_meetings",
    ("GET", "/meetings/{meeting_id}"): "view_item",
    ("POST", "/meetings/{meeting_id}/change"): "manage_meetings",
    ("POST", "/meetings/{meeting_id}/postpone"): "manage_meetings",
    ("POST", "/meetings/{meeting_id}/cancel"): "manage_meetings",
    ("POST", "/meetings/{meeting_id}/chase"): "manage_meetings",
    ("POST", "/meetings/{meeting_id}/reply"): "handle_delivery",    # an invited unit's (the organiser: 409)
    ("GET", "/api/meetings"): "view_item",
    ("POST", "/api/meetings"): "manage_meetings",
    ("GET", "/api/meetings/{meeting_id}"): "view_item",
    ("POST", "/api/meetings/{meeting_id}/change"): "manage_meetings",
    ("POST", "/api/meetings/{meeting_id}/postpone"): "manage_meetings",
    ("POST", "/api/meetings/{meeting_id}/cancel"): "manage_meetings",
    ("POST", "/api/meetings/{meeting_id}/reply"): "handle_delivery",
    ("POST", "/api/meetings/{meeting_id}/chase"): "manage_meetings",
    # 签到: the organiser's screen, marking present and the lists are the organiser's; anyone logged in may
    # open a check-in link (the service decides who is expected)
    ("GET", "/meetings/{meeting_id}/signin"): "manage_meetings",
    ("GET", "/meetings/{meeting_id}/checkin"): "view_home",
    ("POST", "/meetings/{meeting_id}/checkin"): "view_home",
    ("POST", "/meetings/{meeting_id}/attendees/{attendee_id}/present"): "manage_meetings",
    ("POST", "/meetings/{meeting_id}/attendees/{attendee_id}/absent"): "manage_meetings",
    ("GET", "/meetings/{meeting_id}/attendance"): "manage_meetings",
    ("GET", "/meetings/{meeting_id}/attendance.xlsx"): "manage_meetings",
    ("GET", "/api/meetings/{meeting_id}/signin-code"): "manage_meetings",
    ("POST", "/api/meetings/{meeting_id}/checkin"): "view_home",
    ("POST", "/api/meetings/{meeting_id}/attendees/{attendee_id}/present"): "manage_meetings",
    ("GET", "/api/meetings/{meeting_id}/attendance"): "manage_meetings",
    # 信息报送: a unit's clerks and leaders send and see their reports; the receiving office's adopt and
    # answer them (the walk's report is 东湖镇's to BGS: its own clerk reaches adopt / answer, refused 409
    # report.not_receiving_office); another unit's report and its files are 404
    ("GET", "/reports"): "send_report",
    ("GET", "/reports.xlsx"): "send_report",
    ("GET", "/reports/new"): "send_report",
    ("POST", "/reports"): "send_report",
    ("GET", "/reports/{report_id}"): "send_report",
    ("POST", "/reports/{report_id}/adopt"): "receive_reports",
    ("POST", "/reports/{report_id}/answer"): "receive_reports",
    ("GET", "/report-files/{report_file_id}"): "send_report",
    ("GET", "/reports/received"): "receive_reports",
    ("GET", "/reports/received.xlsx"): "receive_reports",
    ("GET", "/reports/figures"): "receive_reports",
    ("GET", "/reports/figures.xlsx"): "receive_reports",
    ("POST", "/api/reports"): "send_report",
    ("GET", "/api/reports"): "send_report",
    ("GET", "/api/reports/received"): "receive_reports",
    ("GET", "/api/reports/figures"): "receive_reports",
    ("GET", "/api/reports/{report_id}"): "send_report",
    ("POST", "/api/reports/{report_id}/adopt"): "receive_reports",
    ("POST", "/api/reports/{report_id}/answer"): "receive_reports",
    # 通报: the super admin and the office's clerks (another unit's clerk: 409 on the list and generate, their
    # unit keeps none; 403 on the office's circular); publishing: an office clerk (the super admin: 409)
    ("GET", "/circulars"): "manage_circular",
    ("POST", "/circulars"): "manage_circular",
    ("GET", "/circulars/{circular_id}"): "manage_circular",
    ("POST", "/circulars/{circular_id}"): "manage_circular",
    ("GET", "/circulars/{circular_id}/table.xlsx"): "manage_circular",
    ("GET", "/api/circulars"): "manage_circular",
    ("POST", "/api/circulars"): "manage_circular",
    ("GET", "/api/circulars/{circular_id}"): "manage_circular",
    ("POST", "/api/circulars/{circular_id}"): "manage_circular",
    ("POST", "/api/circulars/{circular_id}/regenerate"): "manage_circular",
    ("POST", "/api/circulars/{circular_id}/publish"): "manage_circular",
    # 代理: anyone but the super admin asks; the approver decides (the walk's delegation is a unit admin's
    # of 西山镇: the super admin's to decide, dh.admin's is another unit); one's own delegations are seen,
    # decided and cancelled by the service's rule (who does not see one: 404; who sees it and is not its
    # approver: 403 delegation.not_approver, in the service tests); acting is refused (403) to all but the delegate
    ("GET", "/delegations"): "view_home",
    ("GET", "/delegations/new"): "request_delegation",
    ("POST", "/delegations"): "request_delegation",
    ("GET", "/delegations/{delegation_id}"): "view_home",
    ("POST", "/delegations/{delegation_id}/approve"): "view_home",
    ("POST", "/delegations/{delegation_id}/refuse"): "view_home",
    ("POST", "/delegations/{delegation_id}/cancel"): "view_home",
    ("POST", "/delegations/{delegation_id}/act"): "view_home",
    ("POST", "/delegations/stop"): "view_home",
    ("GET", "/api/delegations"): "view_home",
    ("POST", "/api/delegations"): "request_delegation",
    ("GET", "/api/delegations/{delegation_id}"): "view_home",
    ("POST", "/api/delegations/{delegation_id}/approve"): "view_home",
    ("POST", "/api/delegations/{delegation_id}/refuse"): "view_home",
    ("POST", "/api/delegations/{delegation_id}/cancel"): "view_home",
    ("POST", "/api/delegations/{delegation_id}/act"): "view_home",
    ("POST", "/api/delegations/stop"): "view_home",
    # the delegation register (代理登记簿): the unit admin's own unit, every unit's for the super admin
    ("GET", "/registers/delegations"): "view_delegations",
    ("GET", "/registers/delegations.xlsx"): "view_delegations",
    ("GET", "/api/registers/delegations"): "view_delegations",
}

# Routes any logged-in person passes whose service then refuses everyone the walk has: switching into
# 代理 is the delegate's alone (no walking account is), answered 403 delegation.refused_attempt, not perm.denied.
DELEGATE_ONLY = {("POST", "/delegations/{delegation_id}/act"), ("POST", "/api/delegations/{delegation_id}/act")}

# Routes after which the walking browser holds a new session (or none) and must log in again.
SESSION_CHANGING = {("POST", "/login"), ("POST", "/api/login"),
                    ("POST", "/logout"), ("POST", "/api/logout")}

# One account per role (demo accounts; `dhz.user` is created by the fixture below).
ROLE_ACCOUNTS = {
    "super_admin": "admin",
    "unit_admin": "dh.admin",
    "seal_keeper": "bgs.seal",
    "clerk": "dhz.clerk1",
    "leader": "dhz.leader",
    "duty_desk": "duty",
    "user": "dhz.user",
}

Key = tuple[str, str]


def key_of(spec: RouteSpec) -> Key:
    return spec.method, spec.path


# -- the policy table agrees with can() ---------------------------------------------------

def test_policy_table_names_every_action_and_every_role() -> None:
    actions = {a.value for a in Action}
    assert not actions - set(EXPECTED), \
        f"new actions: add a reviewed row to POLICY_TABLE for {sorted(actions - set(EXPECTED))}"
    assert not set(EXPECTED) - actions, f"actions gone: {sorted(set(EXPECTED) - actions)}"
    for action, row in EXPECTED.items():
        assert set(row) == {r.value for r in Role}, action
    assert set(ROLE_ACCOUNTS) == {r.value for r in Role}


@pytest.mark.parametrize("role", sorted(EXPECTED["view_home"]))
@pytest.mark.parametrize("action", list(EXPECTED))
def test_each_role_may_do_exactly_what_the_policy_table_says(action: str, role: str) -> None:
    actor = Actor(user_id=1, login="someone", name="某人", unit_id=OWN_UNIT,
                  roles=frozenset({Role(role)}))
    own, other = EXPECTED[action][role]
    assert can(actor, Action(action), OWN_UNIT) is own
    assert can(actor, Action(action), OTHER_UNIT) is other
    # "anywhere at all" (menus, the access middleware): yes if any unit is allowed
    assert can(actor, Action(action)) is (own or other)
    # an item concerning several units: own-unit grants count if the actor's unit is among them
    assert can(actor, Action(action), [OTHER_UNIT, OWN_UNIT]) is own
    assert can(actor, Action(action), [OTHER_UNIT]) is other


def test_a_person_with_several_roles_gets_the_union_of_their_rights() -> None:
    actor = Actor(user_id=1, login="both", name="两职", unit_id=OWN_UNIT,
                  roles=frozenset({Role.CLERK, Role.UNIT_ADMIN}))
    for action, row in EXPECTED.items():
        own = any(row[r][0] for r in ("clerk", "unit_admin"))
        other = any(row[r][1] for r in ("clerk", "unit_admin"))
        assert can(actor, Action(action), OWN_UNIT) is own, action
        assert can(actor, Action(action), OTHER_UNIT) is other, action


# -- every route is declared, and declared as expected ------------------------------------

def test_every_route_is_in_the_hand_written_route_table() -> None:
    keys = [key_of(s) for s in ROUTES]
    assert len(keys) == len(set(keys)), "a (method, path) is declared twice"
    missing = set(keys) - set(EXPECTED_ROUTES)
    gone = set(EXPECTED_ROUTES) - set(keys)
    assert not missing, f"new routes: add them to EXPECTED_ROUTES with their access rule: {missing}"
    assert not gone, f"routes removed: drop them from EXPECTED_ROUTES: {gone}"


# Routes missing from EXPECTED_ROUTES fail the test above; the checks below cover the rest.
KNOWN_ROUTES = [s for s in ROUTES if key_of(s) in EXPECTED_ROUTES]


@pytest.mark.parametrize("spec", KNOWN_ROUTES, ids=lambda s: f"{s.method} {s.path}")
def test_each_route_needs_a_permission_or_is_public_or_explicitly_any_logged_in_user(
        spec: RouteSpec) -> None:
    rule = EXPECTED_ROUTES[key_of(spec)]
    if rule == PUBLIC:
        assert spec.public and spec.action is None
    elif rule == LOGGED_IN:
        assert not spec.public and spec.action is None
    else:
        assert not spec.public
        assert spec.action is not None and spec.action.value == rule


# -- walking every route ------------------------------------------------------------------

@dataclass(frozen=True)
class PathParam:
    value: str       # what the walk puts in the path
    unit_id: int     # the unit the object it names belongs to (own or other, for the policy)


@pytest.fixture
async def walk_params(demo_hub: Hub, unit_ids: dict[str, int]) -> dict[str, PathParam]:
    """Creates the plain `user` account, and the objects the walk's paths name.

    A route with a new path parameter needs an entry here (an object to point at).
    """
    dhz = unit_ids["DHZ"]
    await demo_hub.identity.add_user(SystemActor(), "dhz.user", "普通用户甲", dhz, DEMO_PASSWORD,
                                     frozenset({Role.USER}))
    target = await demo_hub.identity.add_user(SystemActor(), "dhz.target", "被管理人", dhz,
                                              DEMO_PASSWORD, frozenset({Role.CLERK}))
    # an item from the education bureau to 东湖镇 (DHZ) with an attachment: it concerns DHZ,
    # and not the district office (BGS), so BGS accounts count as "another unit" here
    sender = await demo_hub.identity.user_by_login("jyj.clerk1")
    item = await demo_hub.items.issue(
        await demo_hub.identity.actor(sender.id, "127.0.0.1"),
        ItemDraft(kind=ItemKind.DOCUMENT, urgency=Urgency.URGENT, title="权限矩阵用通知", body="正文",
                  main_units=(dhz,), attachments=(Attachment("附件.txt", b"content"),)))
    async with demo_hub.store.read() as tx:
        (delivery,) = await tx.deliveries.for_item(item.id)
        (attachment,) = await tx.items.attachments(item.id)
    # and a draft of 东湖镇's own, with an attachment
    drafter = await demo_hub.identity.user_by_login("dhz.clerk1")
    doc = await demo_hub.documents.draft(
        await demo_hub.identity.actor(drafter.id, "127.0.0.1"),
        DocFields("权限矩阵用发文", "正文", "通知", "ordinary", "东湖镇人民政府", (unit_ids["XSZ"],), ()),
        [Attachment("发文附件.txt", b"content")])
    async with demo_hub.store.read() as tx:
        (doc_attachment,) = await tx.documents.attachments(doc.id)
    group = await demo_hub.recipient_groups.save(await demo_hub.identity.actor(drafter.id, "127.0.0.1"),
                                                 "权限矩阵用单位组", [unit_ids["XSZ"]])
    await with_authority(demo_hub)
    dhz_seal = await made_seal(demo_hub, "DHZ")
    # a received document of 东湖镇, circulated by its leader to dhz.clerk2 (no walking account reads it)
    incoming_id = await circulation_record(demo_hub)
    sent = await demo_hub.circulation.circulate(
        await demo_hub.identity.actor((await demo_hub.identity.user_by_login("dhz.leader")).id, "127.0.0.1"),
        incoming_id, [(await demo_hub.identity.user_by_login("dhz.clerk2")).id], "权限矩阵用传阅")
    async with demo_hub.store.read() as tx:
        (read_step,) = await tx.circulations.steps([sent.circulation_id])
    # a paper document 东湖镇 registered by hand, with a scan
    paper = await demo_hub.incoming.register_by_hand(
        await demo_hub.identity.actor(drafter.id, "127.0.0.1"),
        Registration("市政府办公室", "权限矩阵用纸质来文", "ordinary", demo_hub.clock.now().date()),
        [Attachment("扫描件.pdf", b"%PDF")])
    async with demo_hub.store.read() as tx:
        (scan,) = await tx.incoming.attachments(paper.id)
    scan_id = scan.id
    # a meeting 东湖镇 called, its notice to 西山镇 (no walking account's unit is invited)
    meeting = await demo_hub.meetings.call(
        await demo_hub.identity.actor(drafter.id, "127.0.0.1"),
        MeetingDraft("权限矩阵用会议", "议程", "东湖镇会议室", demo_hub.clock.now() + timedelta(days=1),
                     demo_hub.clock.now() + timedelta(days=1, hours=2), (unit_ids["XSZ"],)))
    # a circular of the office (BGS): 东湖镇's clerk is of another unit
    circular = await demo_hub.circulars.generate(SystemActor(), parse_period("2026-11"))
    # a delegation asked for by 西山镇's unit admin (no walking account: the super admin approves it)
    xsz = unit_ids["XSZ"]
    xsz_admin = await demo_hub.identity.add_user(SystemActor(), "xsz.admin", "西山镇管理员", xsz, DEMO_PASSWORD,
                                                 frozenset({Role.UNIT_ADMIN}))
    xsz_clerk = await demo_hub.identity.user_by_login("xsz.clerk2")
    delegation = await demo_hub.delegations.request(
        await demo_hub.identity.actor(xsz_admin.id, "127.0.0.1"), xsz_clerk.id,
        demo_hub.clock.now() + timedelta(hours=1), demo_hub.clock.now() + timedelta(days=2), "外出")
    # a 请示 东湖镇 sent up to the office, with a file
    report = await demo_hub.reports.send(await demo_hub.identity.actor(drafter.id, "127.0.0.1"), "request",
                                         "权限矩阵用请示", files=[Attachment("请示附件.pdf", b"%PDF")])
    async with demo_hub.store.read() as tx:
        (report_file,) = await tx.reports.files_of(report.id)
    # a folder, a filed document and a file in dhz.clerk2's own cabinet: no walking account may open it (404)
    owner = await demo_hub.identity.actor((await demo_hub.identity.user_by_login("dhz.clerk2")).id, "127.0.0.1")
    drawer = await demo_hub.cabinet.new_node(owner, "mine", None, "权限矩阵用抽屉")
    folder = await demo_hub.cabinet.new_node(owner, "mine", drawer.id, "权限矩阵用公文夹")
    cabinet_file, place = await demo_hub.cabinet.upload(owner, folder.id, "私人.txt", b"text", "text/plain")
    admin = await demo_hub.identity.actor((await demo_hub.identity.user_by_login("admin")).id, "127.0.0.1")
    entry = await demo_hub.phonebook.add(admin, dhz, "权限矩阵用联系人", "主任", "0571-88100009", "")
    resource = await demo_hub.public_services.add(admin, "form", "权限矩阵用表格", file_name="表.txt", content=b"x")
    return {"circular_id": PathParam(str(circular.row.id), unit_ids["BGS"]),
            "user_id": PathParam(str(target.id), target.unit_id),
            "seal_id": PathParam(str(dhz_seal.id), dhz),
            "doc_id": PathParam(str(doc.id), dhz),
            "doc_attachment_id": PathParam(str(doc_attachment.id), dhz),
            "item_id": PathParam(str(item.id), dhz),
            "delivery_id": PathParam(str(delivery.id), dhz),
            "attachment_id": PathParam(str(attachment.id), dhz),
            "group_id": PathParam(str(group.id), dhz),
            "incoming_id": PathParam(str(incoming_id), dhz),
            "incoming_attachment_id": PathParam(str(scan_id), dhz),
            "move": PathParam("review", dhz),
            "circulation_id": PathParam(str(sent.circulation_id), dhz),
            "step_id": PathParam(str(read_step.id), dhz),
            "meeting_id": PathParam(str(meeting.id), dhz),
            "attendee_id": PathParam("1", dhz),
            "delegation_id": PathParam(str(delegation.id), xsz),
            "report_id": PathParam(str(report.id), dhz),
            "report_file_id": PathParam(str(report_file.id), dhz),
            "node_id": PathParam(str(drawer.id), dhz),
            "folder_id": PathParam(str(folder.id), dhz),
            "place_id": PathParam(str(place.id), dhz),
            "file_id": PathParam(str(cabinet_file.id), dhz),
            "unit_id": PathParam(str(dhz), dhz),
            "entry_id": PathParam(str(entry.id), dhz),
            "service_id": PathParam(str(resource.id), unit_ids["BGS"])}


def path_params(spec: RouteSpec, params: dict[str, PathParam]) -> list[PathParam]:
    names = re.findall(r"{(\w+)}", spec.path)
    unknown = set(names) - set(params)
    assert not unknown, f"{spec.path}: the matrix test does not know how to fill {unknown}"
    return [params[n] for n in names]


def concrete_path(spec: RouteSpec, params: dict[str, PathParam]) -> str:
    path_params(spec, params)
    return re.sub(r"{(\w+)}", lambda m: params[m.group(1)].value, spec.path)


async def send(client: TestClient, spec: RouteSpec, path: str, token: str | None,  # type: ignore[type-arg]
               account: str) -> Any:
    """The request a browser or API client would send: GET, or POST with a harmless body.

    The login routes get the walking account's own credentials (an empty login body
    is a wrong password, which says nothing about access).
    """
    headers = {"X-CSRF-Token": token} if token else {}
    if spec.method == "GET":
        return await client.get(path, allow_redirects=False)
    if key_of(spec) == ("POST", "/login"):
        return await client.post(path, data={"login": account, "password": DEMO_PASSWORD,
                                             "next": "/"}, headers=headers, allow_redirects=False)
    if key_of(spec) == ("POST", "/api/login"):
        return await client.post(path, json={"login": account, "password": DEMO_PASSWORD},
                                 allow_redirects=False)
    if spec.json:
        return await client.post(path, json={}, headers=headers, allow_redirects=False)
    return await client.post(path, data={}, headers=headers, allow_redirects=False)


def allowed_for(rule: str, role: str, same_unit: bool) -> bool:
    if rule in (PUBLIC, LOGGED_IN):
        return True
    own, other = EXPECTED[rule][role]
    return own if same_unit else other


ITEM_PARAMS = {"item_id", "delivery_id", "attachment_id"}
DOC_PARAMS = {"doc_id", "doc_attachment_id"}
SEAL_PARAMS = {"seal_id"}
MEETING_PARAMS = {"meeting_id"}      # a meeting is seen by whoever sees its notice


def hidden_from(spec: RouteSpec, role: str, same_unit: bool) -> bool:
    """A role that may use the route somewhere, but may not even see this item, gets 404:
    the item's existence is not revealed. A role with no grant at all is refused (403)
    before the item is looked at."""
    params = set(re.findall(r"{(\w+)}", spec.path))
    if SEAL_PARAMS & params:       # a seal's page and usage register: the registry, and the unit's own keeper
        return not allowed_for("manage_seals", role, same_unit) and not allowed_for("use_seal", role, same_unit)
    if not (ITEM_PARAMS | DOC_PARAMS | MEETING_PARAMS) & params:
        return False
    rule = EXPECTED_ROUTES[key_of(spec)]
    return any(EXPECTED[rule][role]) and not allowed_for("view_item", role, same_unit)


async def assert_denied(resp: Any, spec: RouteSpec, where: str, hidden: bool = False) -> None:
    body = await resp.text()
    status, code, text = (404, "item.not_found", "事项不存在或您无权查看") if hidden else \
        (403, "perm.denied", "您无权执行此操作")
    if hidden and DOC_PARAMS & set(re.findall(r"{(\w+)}", spec.path)):
        code, text = "document.not_found", "公文不存在或您无权查看"
    if hidden and MEETING_PARAMS & set(re.findall(r"{(\w+)}", spec.path)):
        code, text = "meeting.not_found", "会议不存在或您无权查看"
    if hidden and SEAL_PARAMS & set(re.findall(r"{(\w+)}", spec.path)):
        code, text = "seal.not_found", "印章不存在或您无权查看"
    assert resp.status == status, f"{where}: expected {status}, got {resp.status}: {body[:300]}"
    if spec.json:
        assert resp.content_type == "application/json", where
        assert (await resp.json())["error"]["code"] == code, where
    else:
        assert resp.content_type == "text/html", where
        assert f'data-code="{code}"' in body and text in body, where


async def assert_reached(resp: Any, where: str, logout: bool = False) -> None:
    body = (await resp.read()).decode("utf-8", "replace")     # some answers are files (CRL, zip)
    assert resp.status not in (401, 403), f"{where}: got {resp.status}: {body[:300]}"
    assert resp.status < 500, f"{where}: got {resp.status}: {body[:300]}"
    if resp.status in (302, 303) and not logout:   # logging out rightly ends on the login page
        assert urlsplit(resp.headers["Location"]).path != "/login", \
            f"{where}: sent back to the login page"


@pytest.mark.parametrize("role", list(ROLE_ACCOUNTS))
async def test_each_role_reaches_exactly_the_routes_the_policy_allows(
        client: TestClient, demo_hub: Hub, walk_params: dict[str, PathParam],  # type: ignore[type-arg]
        role: str) -> None:
    account = ROLE_ACCOUNTS[role]
    user = await demo_hub.identity.user_by_login(account)
    assert user.roles == frozenset({Role(role)}), f"{account} should be exactly {role}"
    token = await login(client, account)
    walked: set[Key] = set()
    for spec in KNOWN_ROUTES:
        path = concrete_path(spec, walk_params)
        # a route naming an object concerns that object's unit; the rest the actor's own
        same_unit = all(p.unit_id == user.unit_id for p in path_params(spec, walk_params))
        where = f"{role} ({account}) {spec.method} {path}"
        resp = await send(client, spec, path, token, account)
        if allowed_for(EXPECTED_ROUTES[key_of(spec)], role, same_unit) and key_of(spec) in DELEGATE_ONLY:
            assert resp.status == 403 and "delegation.refused_attempt" in await resp.text(), where
        elif allowed_for(EXPECTED_ROUTES[key_of(spec)], role, same_unit):
            await assert_reached(resp, where, logout=key_of(spec) == ("POST", "/logout"))
        else:
            await assert_denied(resp, spec, where, hidden_from(spec, role, same_unit))
        walked.add(key_of(spec))
        if key_of(spec) in SESSION_CHANGING:
            token = await login(client, account)
    assert walked == set(EXPECTED_ROUTES)


async def test_anonymous_visitors_are_sent_to_login_or_refused_on_every_non_public_route(
        client: TestClient, walk_params: dict[str, PathParam]) -> None:  # type: ignore[type-arg]
    walked: set[Key] = set()
    for spec in KNOWN_ROUTES:
        path = concrete_path(spec, walk_params)
        where = f"anonymous {spec.method} {path}"
        rule = EXPECTED_ROUTES[key_of(spec)]
        client.session.cookie_jar.clear()
        token = await csrf_from(client, "/login")      # the pre-login double-submit token
        resp = await send(client, spec, path, token, "dhz.clerk1")
        body = (await resp.read()).decode("utf-8", "replace")
        if rule == PUBLIC:
            await assert_reached(resp, where)
        elif spec.json:
            assert resp.status == 401, f"{where}: {resp.status} {body[:200]}"
            assert (await resp.json())["error"]["code"] == "auth.required", where
        elif spec.method == "GET":
            assert resp.status == 303, where
            loc = urlsplit(resp.headers["Location"])
            assert loc.path == "/login", where
            assert parse_qs(loc.query)["next"] == [path], where
        else:
            assert resp.status == 303, where
            assert urlsplit(resp.headers["Location"]).path == "/login", where
        walked.add(key_of(spec))
    assert walked == set(EXPECTED_ROUTES)


async def test_after_login_the_visitor_lands_on_the_page_they_asked_for(
        client: TestClient) -> None:  # type: ignore[type-arg]
    asked = "/admin/audit?action=auth.&before=1000"
    resp = await client.get(asked, allow_redirects=False)
    assert resp.status == 303
    login_url = resp.headers["Location"]
    assert parse_qs(urlsplit(login_url).query)["next"] == [asked]
    html = await (await client.get(login_url)).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    next_field = re.search(r'name="next" value="([^"]+)"', html)
    assert token and next_field
    resp = await client.post("/login", data={"login": "admin", "password": DEMO_PASSWORD,
                                             "csrf_token": token.group(1),
                                             "next": next_field.group(1).replace("&amp;", "&")},
                             allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == asked


# -- own unit versus another unit ---------------------------------------------------------

def new_person(unit_id: int, login_name: str) -> dict[str, Any]:
    return {"login": login_name, "name": "新同事", "unit_id": unit_id, "password": "Passw0rd!x",
            "roles": ["clerk"], "phone": "13900139000"}


async def test_unit_admin_sees_the_people_of_their_own_unit(
        client: TestClient, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    await login(client, "dh.admin")
    dhz = unit_ids["DHZ"]
    page = await client.get(f"/admin/users?unit={dhz}")
    assert page.status == 200
    assert "dhz.clerk1" in await page.text()
    resp = await client.get(f"/api/users?unit={dhz}")
    assert resp.status == 200
    logins = {u["login"] for u in (await resp.json())["users"]}
    assert {"dh.admin", "dhz.clerk1", "dhz.clerk2", "dhz.leader"} <= logins
    assert all(u["unit_id"] == dhz for u in (await resp.json())["users"])


@pytest.mark.parametrize("other", ["BGS", "XSZ", "ZBS"])
async def test_unit_admin_cannot_see_another_units_people(
        client: TestClient, unit_ids: dict[str, int], other: str) -> None:  # type: ignore[type-arg]
    await login(client, "dh.admin")
    page = await client.get(f"/admin/users?unit={unit_ids[other]}")
    assert page.status == 403
    html = await page.text()
    assert 'data-code="perm.denied"' in html
    assert f"{other.lower()}.clerk1" not in html
    resp = await client.get(f"/api/users?unit={unit_ids[other]}")
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "perm.denied"


async def test_unit_admin_adds_people_to_their_own_unit_but_not_to_another(
        client: TestClient, demo_hub: Hub, unit_ids: dict[str, int]) -> None:  # type: ignore[type-arg]
    token = await login(client, "dh.admin")
    headers = {"X-CSRF-Token": token}
    resp = await client.post("/api/users", json=new_person(unit_ids["DHZ"], "dhz.new"),
                             headers=headers)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["user"]["unit_id"] == unit_ids["DHZ"]

    resp = await client.post("/api/users", json=new_person(unit_ids["XSZ"], "xsz.new"),
                             headers=headers)
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "perm.denied"
    logins = {u.login for u in await demo_hub.identity.users(SystemActor(), unit_ids["XSZ"])}
    assert "xsz.new" not in logins


async def test_unit_admin_cannot_open_or_disable_a_person_of_another_unit(
        client: TestClient, demo_hub: Hub) -> None:  # type: ignore[type-arg]
    token = await login(client, "dh.admin")
    stranger = await demo_hub.identity.user_by_login("xsz.clerk1")
    own = await demo_hub.identity.user_by_login("dhz.clerk2")

    assert (await client.get(f"/admin/users/{own.id}")).status == 200
    page = await client.get(f"/admin/users/{stranger.id}")
    assert page.status == 403
    assert 'data-code="perm.denied"' in await page.text()

    resp = await client.post(f"/api/users/{stranger.id}/disable", headers={"X-CSRF-Token": token})
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "perm.denied"
    assert not (await demo_hub.identity.user_by_login("xsz.clerk1")).disabled


@pytest.mark.parametrize("unit", ["BGS", "DHZ", "XSZ", "WJJ"])
async def test_super_admin_sees_and_adds_people_in_any_unit(
        client: TestClient, unit_ids: dict[str, int], unit: str) -> None:  # type: ignore[type-arg]
    token = await login(client, "admin")
    uid = unit_ids[unit]
    assert (await client.get(f"/admin/users?unit={uid}")).status == 200
    resp = await client.get(f"/api/users?unit={uid}")
    assert resp.status == 200
    assert f"{unit.lower()}.clerk1" in {u["login"] for u in (await resp.json())["users"]}
    resp = await client.post("/api/users", json=new_person(uid, f"{unit.lower()}.added"),
                             headers={"X-CSRF-Token": token})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["user"]["unit_id"] == uid
