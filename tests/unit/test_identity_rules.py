import pytest

from hub.domain.identity import (
    Role,
    check_login,
    check_unit_code,
    ip_allowed,
    normalize_phone,
    parse_ip_rules,
    parse_roles,
)
from hub.errors import MESSAGES, XietongError


@pytest.mark.parametrize("raw", ["13800138000", "+8613800138000", "138 0013 8000", "0086-138-0013-8000"])
def test_mainland_mobile_numbers_are_stored_in_e164(raw):
    assert normalize_phone(raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "+12025550123", "phone", "010-88000000"])
def test_other_numbers_are_refused_with_a_clear_message(raw):
    with pytest.raises(XietongError) as e:
        normalize_phone(raw)
    assert e.value.code == "user.bad_phone"
    assert "手机号" in e.value.message("zh") and "mobile" in e.value.message("en")


def test_an_empty_phone_stays_empty():
    assert normalize_phone("  ") == ""


def test_account_names_are_case_insensitive_and_checked():
    assert check_login("DH.Clerk1") == "dh.clerk1"
    for bad in ("ab", "有中文", "a b", "x" * 33):
        with pytest.raises(XietongError):
            check_login(bad)


def test_unit_codes_are_upper_case_letters_and_digits():
    assert check_unit_code(" dhz ") == "DHZ"
    with pytest.raises(XietongError):
        check_unit_code("东湖")


def test_roles_are_parsed_and_unknown_ones_refused():
    assert parse_roles(["clerk", "leader"]) == {Role.CLERK, Role.LEADER}
    with pytest.raises(XietongError, match="boss"):
        parse_roles(["boss"])
    with pytest.raises(XietongError) as e:
        parse_roles([])
    assert e.value.code == "user.no_role"


def test_admin_ip_rules_accept_addresses_and_ranges():
    rules = parse_ip_rules("10.1.2.3, 10.2.0.0/16 ::1")
    assert rules == ("10.1.2.3/32", "10.2.0.0/16", "::1/128")
    assert ip_allowed(rules, "10.1.2.3")
    assert ip_allowed(rules, "10.2.200.7")
    assert ip_allowed(rules, "::ffff:10.2.0.9")      # IPv4 seen through an IPv6 socket
    assert not ip_allowed(rules, "10.3.0.1")
    assert not ip_allowed(rules, "not an address")
    assert ip_allowed((), "203.0.113.9")              # no rules: anywhere
    with pytest.raises(XietongError, match="10.0.0.300"):
        parse_ip_rules("10.0.0.300")


def test_every_error_has_both_languages_and_a_status():
    for code, (status, en, zh) in MESSAGES.items():
        assert 400 <= status < 600, code
        assert en and zh and en != zh, code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), f"{code}: Chinese message has no Chinese"
