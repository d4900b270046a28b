"""The one config loader.

Every setting is a field below, with its default and a one-line doc.
`config/default.toml` documents the same keys with the same defaults (a test
keeps the two equal). A TOML file given with `--config` (or `XIETONG_CONFIG`)
overrides the defaults; environment variables `XIETONG_<SECTION>_<KEY>`
override the file. A bad value stops start-up with a message naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A config value is wrong; the message names the key."""


def _doc(text: str, check: Callable[[Any], bool] | None = None, hint: str = "") -> dict[str, Any]:
    return {"doc": text, "check": check, "hint": hint}


def _port(v: int) -> bool:
    return 0 <= v <= 65535


def _positive(v: float) -> bool:
    return v > 0


@dataclass(frozen=True)
class StoreConfig:
    url: str = field(default="", metadata=_doc(
        "The database: sqlite:///path/file.db (sqlite:////abs/path), or postgresql://user@host:port/db"
        " (?search_path=schema keeps the tables in a schema); empty = SQLite at `path`.",
        lambda v: v == "" or v.startswith(("sqlite:///", "postgresql://", "postgres://")),
        "empty, sqlite:///path or postgresql://..."))
    path: str = field(default="data/xietong.db", metadata=_doc("SQLite database file; its folder is created."))
    readers: int = field(default=4, metadata=_doc("Read-only connections kept open.", _positive, "a positive integer"))
    synchronous: str = field(default="FULL", metadata=_doc(
        "SQLite synchronous mode: FULL (every commit survives power loss) or NORMAL.",
        lambda v: v in ("FULL", "NORMAL"), "FULL or NORMAL"))

    @property
    def database_url(self) -> str:
        """`url`, or the SQLite file at `path` when no URL is given."""
        return self.url or f"sqlite:///{self.path}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:///")

    @property
    def place(self) -> str:
        """Where the database is, for messages: the SQLite file, or the URL without its password."""
        if not self.url:
            return self.path
        return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1@", self.url)


@dataclass(frozen=True)
class WebConfig:
    host: str = field(default="127.0.0.1", metadata=_doc("Address to listen on."))
    port: int = field(default=8080, metadata=_doc("Port to listen on.", _port, "0-65535"))
    public_url: str = field(default="", metadata=_doc(
        "The URL users reach Xietong at (for links, webhooks, origin checks); empty = http://host:port."))
    trust_forwarded_for: bool = field(default=False, metadata=_doc(
        "Take the client address from X-Forwarded-For (only behind your own reverse proxy)."))
    tls_cert: str = field(default="", metadata=_doc("PEM certificate file; with tls_key, serve HTTPS."))
    tls_key: str = field(default="", metadata=_doc("PEM private key file for tls_cert."))


@dataclass(frozen=True)
class SessionConfig:
    idle_minutes: int = field(default=30, metadata=_doc(
        "A session unused this long ends.", _positive, "a positive integer"))
    absolute_hours: int = field(default=12, metadata=_doc(
        "A session ends this long after login, however busy.", _positive, "a positive integer"))


@dataclass(frozen=True)
class LoginConfig:
    window_minutes: int = field(default=15, metadata=_doc(
        "Failed logins are counted over this many minutes.", _positive, "a positive integer"))
    max_failures_per_account: int = field(default=5, metadata=_doc(
        "Failed logins for one account within the window before it is throttled.", _positive,
        "a positive integer"))
    max_failures_per_address: int = field(default=20, metadata=_doc(
        "Failed logins from one address within the window before it is throttled.", _positive,
        "a positive integer"))


@dataclass(frozen=True)
class PasswordConfig:
    min_length: int = field(default=8, metadata=_doc("Shortest password accepted.", _positive,
                                                     "a positive integer"))
    argon2_time_cost: int = field(default=3, metadata=_doc("Argon2id passes.", _positive, "a positive integer"))
    argon2_memory_kib: int = field(default=65536, metadata=_doc(
        "Argon2id memory per hash in KiB (memory-hard).", lambda v: v >= 8, "at least 8"))
    argon2_parallelism: int = field(default=2, metadata=_doc("Argon2id lanes.", _positive, "a positive integer"))


@dataclass(frozen=True)
class UiConfig:
    default_language: str = field(default="zh", metadata=_doc(
        "Language of the web app for a new visitor: zh or en.", lambda v: v in ("zh", "en"), "zh or en"))


@dataclass(frozen=True)
class ClockConfig:
    fake: bool = field(default=False, metadata=_doc(
        "TESTS AND DEMOS ONLY: run on a fake clock moved through /_test/clock (loopback only)."))
    fake_start: str = field(default="", metadata=_doc(
        "Start of the fake clock, ISO 8601 with offset; empty = the real time at start."))


def _ladder_ok(text: str) -> bool:
    from hub.domain.escalation import parse_ladder
    try:
        parse_ladder(text)
    except ValueError:
        return False
    return True


def _hours_ok(text: str) -> bool:
    from hub.domain.calendar import parse_hours
    try:
        parse_hours(text)
    except ValueError:
        return False
    return True


def _dates_ok(text: str) -> bool:
    from datetime import date
    try:
        for part in text.replace(",", " ").split():
            date.fromisoformat(part)
    except ValueError:
        return False
    return True


_LADDER_HINT = "steps like remind:unread@15m, backup:unacked@50%, duty_desk:unacked@100%"


@dataclass(frozen=True)
class ItemsConfig:
    attachment_limit_kib: int = field(default=3072, metadata=_doc(
        "Largest total size of one item's attachments, in KiB (3 MB by the network's rules).",
        _positive, "a positive integer"))


@dataclass(frozen=True)
class WindowsConfig:
    extra_urgent_minutes: int = field(default=30, metadata=_doc(
        "特急: minutes to sign for (wall time).", _positive, "a positive integer"))
    urgent_minutes: int = field(default=120, metadata=_doc(
        "加急: minutes to sign for (wall time).", _positive, "a positive integer"))
    meeting_notice_minutes: int = field(default=240, metadata=_doc(
        "Meeting notices: minutes to sign for, and never later than the meeting (wall time).",
        _positive, "a positive integer"))
    ordinary_hours: int = field(default=24, metadata=_doc(
        "Ordinary items: hours to sign for, counted in working time on working days.",
        _positive, "a positive integer"))
    working_hours: str = field(default="00:00-24:00", metadata=_doc(
        "Working time of a working day, e.g. 09:00-17:00; 00:00-24:00 counts the whole working day.",
        _hours_ok, "HH:MM-HH:MM"))
    meeting_reminder_minutes: int = field(default=60, metadata=_doc(
        "Remind the attendees' units this many minutes before a meeting.", _positive,
        "a positive integer"))


@dataclass(frozen=True)
class CalendarConfig:
    extra_holidays: str = field(default="", metadata=_doc(
        "Days off the holidays package does not know yet, e.g. \"2027-10-01 2027-10-04\".",
        _dates_ok, "dates YYYY-MM-DD separated by spaces or commas"))
    extra_workdays: str = field(default="", metadata=_doc(
        "Adjusted working weekend days (调休) the package does not know yet.",
        _dates_ok, "dates YYYY-MM-DD separated by spaces or commas"))


@dataclass(frozen=True)
class EscalationConfig:
    ordinary: str = field(default="remind:unread@15m, backup:unacked@50%, duty_desk:unacked@100%",
                          metadata=_doc("Ladder of ordinary items (offsets count working time).",
                                        _ladder_ok, _LADDER_HINT))
    urgent: str = field(default="remind:unread@15m, backup:unacked@50%, duty_desk:unacked@100%",
                        metadata=_doc("Ladder of 加急 items.", _ladder_ok, _LADDER_HINT))
    extra_urgent: str = field(default="remind:unread@5m, backup:unacked@50%, duty_desk:unacked@100%",
                              metadata=_doc("Ladder of 特急 items.", _ladder_ok, _LADDER_HINT))
    meeting_notice: str = field(default="remind:unread@15m, backup:unacked@50%, duty_desk:unacked@100%",
                                metadata=_doc("Ladder of meeting notices that are not 特急/加急.",
                                              _ladder_ok, _LADDER_HINT))


def _road_ladder_ok(text: str) -> bool:
    from hub.domain.roads import parse_road_ladder
    try:
        return bool(parse_road_ladder(text))
    except ValueError:
        return False


@dataclass(frozen=True)
class IncomingConfig:
    extra_urgent_days: int = field(default=1, metadata=_doc(
        "特急 received documents: working days to handle them (办理期限) by default.", _positive, "a positive integer"))
    urgent_days: int = field(default=3, metadata=_doc(
        "加急 received documents: working days to handle them by default.", _positive, "a positive integer"))
    ordinary_days: int = field(default=10, metadata=_doc(
        "Ordinary received documents: working days to handle them by default.", _positive, "a positive integer"))
    ladder: str = field(default="remind@-1d, leader@0, office@1d", metadata=_doc(
        "Deadline steps of a handling step: a reminder before the deadline, then the lead's leaders, then the "
        "office that registered it (offsets from the deadline in m, h or d).", _road_ladder_ok,
        "steps like remind@-1d, leader@0, office@1d"))
    chases_per_day: int = field(default=3, metadata=_doc(
        "Manual chases (催办) of one step, and reminders of one circulation's readers (传阅), per day, at most.",
        _positive, "a positive integer"))
    supervision_days: int = field(default=7, metadata=_doc(
        "Supervised (督办) documents: the lead reports progress every this many days by default.",
        _positive, "a positive integer"))


@dataclass(frozen=True)
class RealtimeConfig:
    retention_days: int = field(default=7, metadata=_doc(
        "A reconnecting client is replayed events up to this many days old; older: told to reload.",
        lambda v: v >= 7, "at least 7"))
    queue_frames: int = field(default=512, metadata=_doc(
        "Frames waiting for one slow connection before it is dropped (it resumes by id).",
        _positive, "a positive integer"))
    heartbeat_seconds: int = field(default=20, metadata=_doc(
        "Ping every this many seconds; a connection silent for 1.5× this is closed (dead within 30 s).",
        _positive, "a positive integer"))
    compress: bool = field(default=False, metadata=_doc("permessage-deflate on the websocket (off: cheaper)."))
    poll_ms: int = field(default=1000, metadata=_doc(
        "Also look for new events this often (events written by other processes, e.g. the CLI).",
        _positive, "a positive integer"))


@dataclass(frozen=True)
class ClusterConfig:
    heartbeat_seconds: float = field(default=2.0, metadata=_doc(
        "Several processes on one PostgreSQL database: each says it is alive this often (seconds).",
        _positive, "a positive number of seconds"))
    dead_after_seconds: float = field(default=10.0, metadata=_doc(
        "A process not heard from for this long is dead: a live one takes over its SMS in flight.",
        _positive, "a positive number of seconds"))


@dataclass(frozen=True)
class SmsConfig:
    enabled: bool = field(default=False, metadata=_doc(
        "Send SMS through the Twilio-compatible API below (off: SMS stay queued in the outbox)."))
    api_base_url: str = field(default="https://api.twilio.com", metadata=_doc(
        "Twilio's API, or the Twilio-compatible gateway inside the private network."))
    account_sid: str = field(default="", metadata=_doc("Twilio account SID (AC...)."))
    auth_token: str = field(default="", metadata=_doc(
        "Twilio auth token; better set XIETONG_SMS_AUTH_TOKEN or auth_token_file. Never logged."))
    auth_token_file: str = field(default="", metadata=_doc("File holding the auth token (read at start)."))
    from_number: str = field(default="", metadata=_doc("Sender number in E.164, e.g. +8610690000000."))
    messaging_service_sid: str = field(default="", metadata=_doc(
        "Messaging service SID (MG...); used instead of from_number when set."))
    public_base_url: str = field(default="", metadata=_doc(
        "Base URL the gateway calls back (webhook signatures are checked against it); "
        "empty = web.public_url."))
    rate_per_second: float = field(default=1.0, metadata=_doc(
        "Messages per second per sender number.", _positive, "a positive number"))
    digest_seconds: int = field(default=120, metadata=_doc(
        "Notices for one phone within this many seconds go out as one digest (the first at once).",
        lambda v: v >= 0, "0 or more"))
    max_attempts: int = field(default=5, metadata=_doc(
        "Tries per message before it is marked failed (temporary errors only).", _positive,
        "a positive integer"))
    retry_seconds: int = field(default=30, metadata=_doc(
        "Wait before the first retry; doubles with each try.", _positive, "a positive integer"))
    lookup_hours: int = field(default=24, metadata=_doc(
        "After a call got no answer, the gateway's messages to that number created up to this many hours "
        "before it (by our clock) are read to see whether it arrived: our clock may be this far ahead of "
        "the gateway's (any amount behind).", _positive, "a positive integer"))
    reconcile_after_minutes: int = field(default=10, metadata=_doc(
        "A message with no final status this long after it was handed over is fetched from the gateway "
        "(a status callback may have been lost); then after twice as long each time.", _positive,
        "a positive integer"))
    reconcile_give_up_hours: int = field(default=48, metadata=_doc(
        "Stop fetching a message still not final this long after it was handed over.", _positive,
        "a positive integer"))
    reconcile_per_second: float = field(default=2.0, metadata=_doc(
        "At most this many status fetches per second.", _positive, "a positive number"))
    clock_warn_seconds: int = field(default=60, metadata=_doc(
        "GET /healthz warns when the gateway's clock (its HTTP Date) and ours differ by more than this.",
        _positive, "a positive integer"))


@dataclass(frozen=True)
class CircularConfig:
    slow_median_minutes: float = field(default=240.0, metadata=_doc(
        "The circular (通报) names a unit slow when its median time to sign for is above this many minutes.",
        _positive, "a positive number"))
    slow_overdue_percent: float = field(default=20.0, metadata=_doc(
        "... or when more than this share (percent) of what it received was signed for late or is open past "
        "the window.", lambda v: 0 <= v <= 100, "a percentage 0-100"))
    min_received: int = field(default=3, metadata=_doc(
        "A unit that received fewer items in the period is not judged slow (too few to say).",
        lambda v: v >= 0, "a whole number, 0 or more"))
    idle_active_percent: float = field(default=50.0, metadata=_doc(
        "The circular names a unit little-used when fewer than this share (percent) of its people were "
        "active (logged in or acted) in the period.", lambda v: 0 <= v <= 100, "a percentage 0-100"))
    idle_logins: int = field(default=5, metadata=_doc(
        "... or when its people logged in fewer times than this in the period.",
        lambda v: v >= 0, "a whole number, 0 or more"))
    monthly: bool = field(default=True, metadata=_doc(
        "Draft the previous month's circular by itself (once per month, when the office opens /circulars)."))


@dataclass(frozen=True)
class MeetingsConfig:
    signin_code_seconds: int = field(default=60, metadata=_doc(
        "A meeting's sign-in (签到) QR code changes every this many seconds; a code is accepted in its own "
        "period and the next one (so it lives 1-2 periods), then refused as expired.",
        lambda v: v >= 10, "a whole number of seconds, 10 or more"))


@dataclass(frozen=True)
class DelegationConfig:
    max_days: int = field(default=30, metadata=_doc(
        "The longest period (days) one delegation (代理) may cover.", _positive, "a positive integer"))


@dataclass(frozen=True)
class ReportsConfig:
    answer_working_days: int = field(default=5, metadata=_doc(
        "A 请示 sent up expects its 批复 from the receiving office within this many working days.",
        _positive, "a positive integer"))
    ladder: str = field(default="remind@-1d, leader@0, office@1d", metadata=_doc(
        "Deadline steps of a 请示's answer: a reminder to the office's clerks before it is due, then the "
        "office's leaders, then its clerks again (offsets from the due time in m, h or d).", _road_ladder_ok,
        "steps like remind@-1d, leader@0, office@1d"))
    attachment_limit_kib: int = field(default=3072, metadata=_doc(
        "Each file of a report sent up may be at most this many KiB.", _positive, "a positive integer"))
    weight_sent: float = field(default=1.0, metadata=_doc(
        "The office's score of a unit (报送考核): points per report sent in the period."))
    weight_adopted: float = field(default=3.0, metadata=_doc(
        "... points per report adopted (采用)."))
    weight_on_time: float = field(default=2.0, metadata=_doc(
        "... points per 请示 answered by its due time (the office's promptness counts for the unit too)."))
    weight_late: float = field(default=-1.0, metadata=_doc(
        "... points per 请示 answered after its due time."))
    weight_overdue: float = field(default=-2.0, metadata=_doc(
        "... points per 请示 still unanswered past its due time at the end of the period."))


@dataclass(frozen=True)
class MetricsConfig:
    allow_from: str = field(default="127.0.0.1/32 ::1/128", metadata=_doc(
        "Addresses that may read GET /metrics (space-separated ranges)."))


@dataclass(frozen=True)
class LogConfig:
    level: str = field(default="INFO", metadata=_doc(
        "Log level.", lambda v: v in ("DEBUG", "INFO", "WARNING", "ERROR"), "DEBUG, INFO, WARNING or ERROR"))
    access: bool = field(default=True, metadata=_doc(
        "Access log: one JSON line per request (time, request id, method, route, path without the query "
        "string, status, duration in ms, user id, address); never a cookie, token, password or code."))
    access_file: str = field(default="", metadata=_doc(
        "File the access log is appended to (its folder is created); empty = standard output."))


def _otp_key_ok(text: str) -> bool:
    from hub.crypto.totp import key_text_ok
    return key_text_ok(text)


@dataclass(frozen=True)
class OtpConfig:
    key_file: str = field(default="data/otp.key", metadata=_doc(
        "File holding the key (base64 of 32 bytes) that encrypts one-time code secrets at rest; "
        "created with mode 0600 and a random key on first use. Keep it out of the database's "
        "backups and back it up apart: without it every leader and seal keeper must enrol again."))
    key: str = field(default="", metadata=_doc(
        "The key itself instead of key_file; better set XIETONG_OTP_KEY than write it here. Never logged.",
        _otp_key_ok, "base64 of 32 random bytes"))
    issuer: str = field(default="协同", metadata=_doc(
        "Name the authenticator app shows next to the account."))
    max_failures: int = field(default=5, metadata=_doc(
        "Wrong one-time codes of one person within the window before they are refused for a while.",
        _positive, "a positive integer"))
    window_minutes: int = field(default=15, metadata=_doc(
        "Wrong one-time codes are counted over this many minutes.", _positive, "a positive integer"))


@dataclass(frozen=True)
class SealsConfig:
    authority_passphrase_file: str = field(default="", metadata=_doc(
        "File holding the passphrase of the seal authority's key (read at start, so the server can make "
        "seals and publish revocation lists); empty = seals.authority_passphrase."))
    authority_passphrase: str = field(default="", metadata=_doc(
        "The passphrase itself; better set XIETONG_SEALS_AUTHORITY_PASSPHRASE or the file. Never logged. "
        "Empty (and no file): the authority stays locked; stamping still works."))
    max_password_failures: int = field(default=5, metadata=_doc(
        "Wrong seal passwords for one seal within the window before it is refused for a while.",
        _positive, "a positive integer"))
    window_minutes: int = field(default=15, metadata=_doc(
        "Wrong seal passwords are counted over this many minutes.", _positive, "a positive integer"))
    crl_days: int = field(default=7, metadata=_doc(
        "A revocation list is valid this many days; a fresh one is issued on every revocation and when it "
        "lapses.", _positive, "a positive integer"))


@dataclass(frozen=True)
class PaperConfig:
    title_font: str = field(default="Noto Serif CJK SC:bold", metadata=_doc(
        "Face of the 发文机关标志 and the title (the standard's 小标宋): a font file, or a family installed "
        "on the machine, with ':bold' for its bold weight. The default is Debian's fonts-noto-cjk."))
    body_font: str = field(default="Noto Serif CJK SC", metadata=_doc(
        "Face of the body, 主送, 署名 and 版记 (the standard's 仿宋_GB2312): a font file or a family."))
    heading1_font: str = field(default="Noto Sans CJK SC", metadata=_doc(
        "Face of the first heading level 一、 (the standard's 黑体) and of 紧急程度: a font file or a family."))
    heading2_font: str = field(default="AR PL UKai", metadata=_doc(
        "Face of the second heading level （一） and the 签发人's name (the standard's 楷体): a font file or a "
        "family; the default is Debian's fonts-arphic-ukai (the body's face if it is missing)."))
    number_font: str = field(default="Noto Serif CJK SC", metadata=_doc(
        "Face of the page numbers (the standard's 宋体): a font file or a family."))


@dataclass(frozen=True)
class Config:
    store: StoreConfig = StoreConfig()
    web: WebConfig = WebConfig()
    session: SessionConfig = SessionConfig()
    login: LoginConfig = LoginConfig()
    passwords: PasswordConfig = PasswordConfig()
    ui: UiConfig = UiConfig()
    clock: ClockConfig = ClockConfig()
    items: ItemsConfig = ItemsConfig()
    windows: WindowsConfig = WindowsConfig()
    calendar: CalendarConfig = CalendarConfig()
    escalation: EscalationConfig = EscalationConfig()
    incoming: IncomingConfig = IncomingConfig()
    realtime: RealtimeConfig = RealtimeConfig()
    cluster: ClusterConfig = ClusterConfig()
    sms: SmsConfig = SmsConfig()
    metrics: MetricsConfig = MetricsConfig()
    circular: CircularConfig = CircularConfig()
    delegation: DelegationConfig = DelegationConfig()
    meetings: MeetingsConfig = MeetingsConfig()
    reports: ReportsConfig = ReportsConfig()
    log: LogConfig = LogConfig()
    otp: OtpConfig = OtpConfig()
    seals: SealsConfig = SealsConfig()
    paper: PaperConfig = PaperConfig()

    def public_url(self) -> str:
        if self.web.public_url:
            return self.web.public_url.rstrip("/")
        scheme = "https" if self.web.tls_cert else "http"
        return f"{scheme}://{self.web.host}:{self.web.port}"

    def with_overrides(self, **sections: Mapping[str, Any]) -> Config:
        """A copy with some keys changed (used by tests and the CLI), validated."""
        return _build(self, {s: dict(v) for s, v in sections.items()}, source="override")


def sections() -> list[tuple[str, type]]:
    return [(f.name, f.type if isinstance(f.type, type) else globals()[str(f.type)])
            for f in dataclasses.fields(Config)]


def settings() -> list[tuple[str, dataclasses.Field[Any]]]:
    """Every (section, field) pair, in order: the schema of the config."""
    out = []
    for name, cls in sections():
        for f in dataclasses.fields(cls):
            out.append((name, f))
    return out


def _coerce(section: str, f: dataclasses.Field[Any], raw: Any, source: str) -> Any:
    key = f"{section}.{f.name}"
    want = f.type if isinstance(f.type, type) else {"int": int, "str": str, "bool": bool, "float": float}[str(f.type)]
    value: Any = raw
    if isinstance(raw, str) and want is not str:
        text = raw.strip()
        try:
            if want is bool:
                if text.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError
                value = text.lower() in ("1", "true", "yes", "on")
            else:
                value = want(text)
        except ValueError:
            raise ConfigError(f"config key {key} (from {source}): expected {want.__name__}, got {raw!r}") from None
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, want) or (want is int and isinstance(value, bool)):
        raise ConfigError(f"config key {key} (from {source}): expected {want.__name__}, got {raw!r}")
    check = f.metadata.get("check")
    if check is not None and not check(value):
        raise ConfigError(f"config key {key} (from {source}): {value!r} is not allowed; "
                          f"expected {f.metadata.get('hint') or 'a valid value'}")
    return value


def _build(base: Config, data: Mapping[str, Any], source: str) -> Config:
    known = dict(sections())
    for name, table in data.items():
        if name not in known:
            raise ConfigError(f"config section [{name}] (from {source}) is unknown")
        if not isinstance(table, Mapping):
            raise ConfigError(f"config section [{name}] (from {source}) must be a table")
        fields = {f.name for f in dataclasses.fields(known[name])}
        for key in table:
            if key not in fields:
                raise ConfigError(f"config key {name}.{key} (from {source}) is unknown")
    new_sections = {}
    for name, cls in sections():
        current = getattr(base, name)
        changes = {}
        for f in dataclasses.fields(cls):
            if f.name in data.get(name, {}):
                changes[f.name] = _coerce(name, f, data[name][f.name], source)
        new_sections[name] = dataclasses.replace(current, **changes)
    return Config(**new_sections)


def env_name(section: str, key: str) -> str:
    return f"XIETONG_{section.upper()}_{key.upper()}"


def load(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the TOML file (if any), then XIETONG_* environment variables."""
    env = os.environ if env is None else env
    cfg = Config()
    path = path or env.get("XIETONG_CONFIG") or None
    if path:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {p} does not exist") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {p} is not valid TOML: {e}") from None
        cfg = _build(cfg, data, source=str(p))
    overrides: dict[str, dict[str, Any]] = {}
    for section, f in settings():
        name = env_name(section, f.name)
        if name in env:
            overrides.setdefault(section, {})[f.name] = env[name]
    if overrides:
        cfg = _build(cfg, overrides, source="environment")
    return cfg


_HEADER = """\
# Xietong configuration: every key with its default.
#
# Copy this file, change what you need, and start with `xietong serve --config FILE`
# (or set XIETONG_CONFIG=FILE). Any key can also be set by an environment variable
# XIETONG_<SECTION>_<KEY>, e.g. XIETONG_WEB_PORT=9000; the environment wins over the file.
# A wrong value stops start-up with a message naming the key.
# (This file is written by `python -m hub.config`; a test keeps it equal to the code.)
"""


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(v)


def render_default_toml() -> str:
    lines = [_HEADER]
    current = None
    for section, f in settings():
        if section != current:
            if current is not None:
                lines.append("")
            lines.append(f"[{section}]")
            current = section
        lines.append(f"# {f.metadata['doc']}")
        lines.append(f"{f.name} = {_toml_value(f.default)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_default_toml(), end="")
