"""Every string the web app shows exists in Chinese and English."""

import re
from pathlib import Path

from hub.domain.identity import Role, UnitKind
from hub.domain.items import AckVia, DeliveryState, ItemKind, Urgency
from webapp.i18n import catalog

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"
STATIC_KEY = re.compile(r"""\bt\(\s*["']([a-z_.]*[a-z0-9])["']""")
PREFIX_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.)["']\s*~""")


def test_both_catalogs_have_the_same_keys():
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en), set(zh) ^ set(en)
    assert all(v.strip() for v in zh.values()) and all(v.strip() for v in en.values())


def test_every_key_a_template_names_is_in_the_catalog():
    zh = catalog("zh")
    for tpl in TEMPLATES.glob("*.html"):
        for key in STATIC_KEY.findall(tpl.read_text(encoding="utf-8")):
            assert key in zh, f"{tpl.name}: {key}"


def test_every_value_a_template_builds_a_key_from_has_an_entry():
    zh = catalog("zh")
    families = {
        "role.": Role, "duty.": Role, "unitkind.": UnitKind, "kind.": ItemKind, "urgency.": Urgency,
        "state.": DeliveryState, "via.": AckVia,
    }
    used = {p for tpl in TEMPLATES.glob("*.html") for p in PREFIX_KEY.findall(tpl.read_text(encoding="utf-8"))}
    for prefix, enum in families.items():
        if prefix in used:
            for member in enum:
                assert prefix + member.value in zh, prefix + member.value
    for key in ("step.remind", "step.backup", "step.duty_desk", "recipient.main", "recipient.copy",
                "event.item.issued", "event.item.escalated", "event.receipt"):
        assert key in zh


def test_every_kind_of_to_do_has_its_label_in_both_languages():
    """The home page and 待办 label each entry by its kind: a kind without a label is a 500 for whoever has one."""
    from hub.services.todo import TodoKind
    for lang in ("zh", "en"):
        missing = [k.value for k in TodoKind if f"todo.kind_{k.value}" not in catalog(lang)]
        assert not missing, (lang, missing)
