"""The outgoing document's road (发文), as a pure state machine.

draft (拟稿) → review (审核; the office may send it back with comments) → sign-off
(签发: a leader, confirmed with a one-time password; the content is frozen by a
digest) → recheck (复核: any change to the frozen content sends it back to the
leader) → registration (登记: the number 机关代字〔年份〕序号号 is assigned, in order,
never reused) → sealing (用印) → dispatch (核发: through the urgent-item engine).
A dispatched document can be withdrawn (撤销) by its office.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum

from hub.domain.permissions import Action
from hub.errors import XietongError


class DocState(StrEnum):
    DRAFT = "draft"            # 拟稿
    RETURNED = "returned"      # 退回修改
    REVIEW = "review"          # 审核中
    SIGNOFF = "signoff"        # 待签发
    SIGNED = "signed"          # 已签发（待复核登记）
    REGISTERED = "registered"  # 已登记（待用印）
    SEALED = "sealed"          # 已用印（待核发）
    DISPATCHED = "dispatched"  # 已核发
    WITHDRAWN = "withdrawn"    # 已撤销


class DocOp(StrEnum):
    SUBMIT = "submit"          # the drafter sends it for review
    EDIT = "edit"
    RETURN = "return"          # the office sends it back with comments
    APPROVE = "approve"        # the office passes it to the leader
    SIGN = "sign"              # 签发, with a one-time password
    REGISTER = "register"      # 复核 and 登记
    SEAL = "seal"              # 用印
    DISPATCH = "dispatch"      # 核发
    WITHDRAW = "withdraw"      # 撤销


@dataclass(frozen=True)
class Rule:
    from_states: frozenset[DocState]
    to_state: DocState | None      # None: the state does not change (an edit) or is decided later
    action: Action                 # who may do it (the one permission rule)
    needs_comment: bool = False
    needs_code: bool = False       # a one-time password confirms it


def _s(*states: DocState) -> frozenset[DocState]:
    return frozenset(states)


RULES: dict[DocOp, Rule] = {
    DocOp.SUBMIT: Rule(_s(DocState.DRAFT, DocState.RETURNED), DocState.REVIEW, Action.DRAFT_DOCUMENT),
    DocOp.EDIT: Rule(_s(DocState.DRAFT, DocState.RETURNED, DocState.REVIEW, DocState.SIGNED), None,
                     Action.DRAFT_DOCUMENT),
    DocOp.RETURN: Rule(_s(DocState.REVIEW, DocState.SIGNOFF), DocState.RETURNED, Action.HANDLE_OUTGOING,
                       needs_comment=True),
    DocOp.APPROVE: Rule(_s(DocState.REVIEW), DocState.SIGNOFF, Action.HANDLE_OUTGOING),
    DocOp.SIGN: Rule(_s(DocState.SIGNOFF), DocState.SIGNED, Action.SIGN_DOCUMENT, needs_code=True),
    DocOp.REGISTER: Rule(_s(DocState.SIGNED), DocState.REGISTERED, Action.HANDLE_OUTGOING),
    DocOp.SEAL: Rule(_s(DocState.REGISTERED), DocState.SEALED, Action.SEAL_DOCUMENT),
    DocOp.DISPATCH: Rule(_s(DocState.SEALED), DocState.DISPATCHED, Action.HANDLE_OUTGOING),
    DocOp.WITHDRAW: Rule(_s(DocState.DISPATCHED), DocState.WITHDRAWN, Action.HANDLE_OUTGOING,
                         needs_comment=True),
}

# the office edits during review and recheck; the drafter before
EDIT_ACTION = {DocState.DRAFT: Action.DRAFT_DOCUMENT, DocState.RETURNED: Action.DRAFT_DOCUMENT,
               DocState.REVIEW: Action.HANDLE_OUTGOING, DocState.SIGNED: Action.HANDLE_OUTGOING}

UPWARD_KINDS = frozenset({"请示", "报告"})   # 上行文: the header carries 签发人


def rule_for(op: DocOp, state: DocState) -> Rule:
    """The rule of an operation, if it may happen in this state (else a clear refusal)."""
    rule = RULES[op]
    if state not in rule.from_states:
        raise XietongError("document.bad_state", op=op.value, state=state.value)
    return rule


def action_for(op: DocOp, state: DocState) -> Action:
    return EDIT_ACTION.get(state, Action.DRAFT_DOCUMENT) if op is DocOp.EDIT else RULES[op].action


def after_edit(state: DocState, frozen_digest: str | None, new_digest: str) -> DocState:
    """复核: a change to content a leader already signed sends it back to the leader."""
    if state is DocState.SIGNED and frozen_digest is not None and new_digest != frozen_digest:
        return DocState.SIGNOFF
    return state


@dataclass(frozen=True)
class Content:
    """What a leader signs: everything that would change the document's meaning."""
    title: str
    body: str
    doc_kind: str
    urgency: str
    issuing_office: str
    main_units: tuple[int, ...]
    copy_units: tuple[int, ...]
    attachment_digests: tuple[tuple[str, str], ...]   # (name, sha256) in order

    def digest(self) -> str:
        canonical = json.dumps([self.title, self.body, self.doc_kind, self.urgency, self.issuing_office,
                                list(self.main_units), list(self.copy_units),
                                [list(a) for a in self.attachment_digests]],
                               ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def document_number(code: str, year: int, seq: int) -> str:
    """发文字号: 机关代字〔年份〕序号号 — no leading zeros, no 第."""
    return f"{code}〔{year}〕{seq}号"
