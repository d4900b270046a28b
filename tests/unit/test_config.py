import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from hub import config
from hub.config import Config, ConfigError, load

REPO = Path(__file__).resolve().parents[2]


def test_default_toml_documents_every_key_with_the_codes_default():
    text = (REPO / "config" / "default.toml").read_text(encoding="utf-8")
    assert text == config.render_default_toml(), "regenerate: python -m hub.config > config/default.toml"
    documented = tomllib.loads(text)
    defaults = Config()
    for section, f in config.settings():
        assert f.name in documented.get(section, {}), f"{section}.{f.name} missing from config/default.toml"
        assert documented[section][f.name] == getattr(getattr(defaults, section), f.name), f"{section}.{f.name}"
        assert f"# {f.metadata['doc']}\n{f.name} =" in text, f"{section}.{f.name} has no comment"
    expected = {s: {f.name for f in fields(cls)} for s, cls in config.sections()}
    assert {s: set(v) for s, v in documented.items()} == expected


def test_file_then_environment_override_the_defaults(tmp_path):
    cfg_file = tmp_path / "x.toml"
    cfg_file.write_text('[web]\nport = 9001\nhost = "0.0.0.0"\n[session]\nidle_minutes = 10\n', encoding="utf-8")
    cfg = load(cfg_file, env={"XIETONG_WEB_PORT": "9002", "XIETONG_WEB_TRUST_FORWARDED_FOR": "true"})
    assert cfg.web.port == 9002            # environment beats the file
    assert cfg.web.host == "0.0.0.0"       # file beats the default
    assert cfg.session.idle_minutes == 10
    assert cfg.web.trust_forwarded_for is True
    assert cfg.login.window_minutes == 15  # untouched default


@pytest.mark.parametrize("env,key", [
    ({"XIETONG_WEB_PORT": "eighty"}, "web.port"),
    ({"XIETONG_WEB_PORT": "70000"}, "web.port"),
    ({"XIETONG_STORE_SYNCHRONOUS": "OFF"}, "store.synchronous"),
    ({"XIETONG_LOGIN_MAX_FAILURES_PER_ACCOUNT": "0"}, "login.max_failures_per_account"),
    ({"XIETONG_CLOCK_FAKE": "maybe"}, "clock.fake"),
])
def test_a_bad_value_stops_start_up_naming_the_key(env, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load(env=env)


def test_unknown_keys_and_sections_in_a_file_are_refused(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text("[web]\nprot = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"web\.prot"):
        load(f, env={})
    f.write_text("[wbe]\nport = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[wbe\]"):
        load(f, env={})


def test_a_missing_or_broken_file_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nope.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[web\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(bad, env={})


def test_public_url_defaults_to_host_and_port_and_https_with_tls():
    assert Config().public_url() == "http://127.0.0.1:8080"
    cfg = Config().with_overrides(web={"tls_cert": "c.pem", "port": 8443})
    assert cfg.public_url() == "https://127.0.0.1:8443"
    assert Config().with_overrides(web={"public_url": "https://oa.example.gov/"}).public_url() == "https://oa.example.gov"
