"""The frame's tab bar: which tabs a person gets, and which one the current page belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from hub.domain.identity import Actor
from hub.domain.permissions import Action, can


@dataclass(frozen=True)
class Tab:
    key: str                       # also the catalog key nav.tab_<key> and the icon's name
    href: str
    badge: str = ""                # the /api/badges count shown on it, if any
    prefixes: tuple[str, ...] = ()  # the pages that belong to this tab

    def owns(self, path: str) -> int:
        """How well this tab claims `path` (the longest matching prefix; 0: not at all)."""
        if self.href == "/":
            return 1 if path == "/" else 0
        return max((len(p) for p in (self.href, *self.prefixes)
                    if path == p or path.startswith(p.rstrip("/") + "/")), default=0)


HOME = Tab("home", "/")
TODO = Tab("todo", "/todo", "todo", ("/documents", "/keeper", "/incoming", "/meetings", "/reports", "/cabinet"))
DUTY = Tab("duty", "/duty", "duty", ("/stats",))
ADMIN = Tab("admin", "/admin/users", "", ("/admin", "/seals", "/stats", "/circulars"))
MESSAGES = Tab("messages", "/inbox", "unread", ("/items", "/sent", "/attachments"))
PHONEBOOK = Tab("phonebook", "/phonebook", "", ("/services",))
ME = Tab("me", "/me", "", ("/otp", "/verify", "/stats", "/circulars", "/delegations"))


def tabs_for(actor: Actor | None) -> list[Tab]:
    """首页 / 待办 / 消息 / 通讯录 / 我的; the duty desk gets 值班 and an administrator 管理 in place of 待办."""
    if actor is None:
        return []
    if can(actor, Action.DUTY_DESK):
        second = DUTY
    elif (can(actor, Action.VIEW_USERS) or can(actor, Action.MANAGE_SEALS)) and not any(
            can(actor, a) for a in (Action.HANDLE_DELIVERY, Action.DRAFT_DOCUMENT, Action.USE_SEAL)):
        second = ADMIN
    else:
        second = TODO
    out = [HOME, second]
    if can(actor, Action.VIEW_ITEM):
        out.append(MESSAGES)
    if can(actor, Action.VIEW_UNITS):
        out.append(PHONEBOOK)
    out.append(ME)
    return out


def nav_tabs(actor: Actor | None, path: str) -> list[tuple[Tab, bool]]:
    """The tabs with the current one marked: the tab that claims the page's path best."""
    tabs = tabs_for(actor)
    path = path.split("?", 1)[0]
    scores = [t.owns(path) for t in tabs]
    best = max(scores, default=0)
    return [(t, best > 0 and s == best and scores.index(best) == i) for i, (t, s) in enumerate(zip(tabs, scores))]
