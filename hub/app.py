"""The composition root: builds the clock, store and services from config."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from hub.calendar_source import china_calendar
from hub.clock import Clock, FakeClock, SystemClock
from hub.config import Config
from hub.crypto.passwords import PasswordHasher
from hub.domain.calendar import WorkCalendar
from hub.notify.feed import EventFeed
from hub.notify.gateway import Gateway, TwilioGateway
from hub.notify.signals import Local, Signals
from hub.notify.sms import SmsService
from hub.render.paper import renderer_for
from hub.services.cabinet import CabinetService
from hub.services.chase import ChaseService
from hub.services.circulars import CircularService
from hub.services.circulation import CirculationService
from hub.services.delegations import DelegationService
from hub.services.documents import DocumentService
from hub.services.duty import DutyDeskService
from hub.services.duty_log import DutyLogService
from hub.services.escalation import Scheduler
from hub.services.identity import IdentityService
from hub.services.incoming import IncomingService
from hub.services.items import ItemService
from hub.services.meeting_signin import MeetingSigninService
from hub.services.meetings import MeetingService
from hub.services.otp import OtpService
from hub.services.paper import PaperService
from hub.services.phonebook import PhonebookService
from hub.services.processes import ProcessRegistry
from hub.services.public_services import PublicServices
from hub.services.recipient_groups import RecipientGroupService
from hub.services.registers import RegisterService
from hub.services.reports import ReportService
from hub.services.resend import ResendService
from hub.services.road_chase import RoadChaseService
from hub.services.road_deadlines import RoadDeadlines
from hub.services.sealed_pdf import SealedPdfMaker
from hub.services.seals import SealService
from hub.services.search import SearchService
from hub.services.stats import StatsService
from hub.services.supervision import SupervisionService
from hub.store import Store, open_store

log = logging.getLogger(__name__)


def make_clock(config: Config) -> Clock:
    if not config.clock.fake:
        return SystemClock()
    start = datetime.fromisoformat(config.clock.fake_start) if config.clock.fake_start else None
    return FakeClock(start or SystemClock().now())


def sms_auth_token(config: Config) -> str:
    """From the config file path, the environment (XIETONG_SMS_AUTH_TOKEN) or the config value."""
    if config.sms.auth_token_file:
        return Path(config.sms.auth_token_file).read_text(encoding="utf-8").strip()
    return config.sms.auth_token


def webhook_base(config: Config) -> str:
    return (config.sms.public_base_url or config.public_url()).rstrip("/")


def make_gateway(config: Config, clock: Clock) -> Gateway | None:
    s = config.sms
    if not s.enabled:
        return None
    return TwilioGateway(s.api_base_url, s.account_sid, sms_auth_token(config), s.from_number,
                         s.messaging_service_sid, webhook_base(config) + "/hooks/twilio/status", clock.now)


@dataclass
class Hub:
    config: Config
    clock: Clock
    store: Store
    hasher: PasswordHasher
    calendar: WorkCalendar
    identity: IdentityService
    items: ItemService
    duty: DutyDeskService
    stats: StatsService
    scheduler: Scheduler
    feed: EventFeed
    sms: SmsService
    otp: OtpService     # one-time passwords that confirm approvals (before the init=False fields)
    signals: Signals    # what this process tells the others on its database, and hears from them
    processes: ProcessRegistry   # this process among those on one PostgreSQL database
    documents: DocumentService = field(init=False)
    paper: PaperService = field(init=False)
    search: SearchService = field(init=False)
    seals: SealService = field(init=False)     # electronic seals (电子印章)
    duty_log: DutyLogService = field(init=False)   # the duty desk's log and shift handover (值班日志)
    chase: ChaseService = field(init=False)        # the sender reminds units not signed for yet (催办)
    road_chase: RoadChaseService = field(init=False)   # the office chases a road step by hand (催办)
    supervision: SupervisionService = field(init=False)   # 督办: progress reports, the supervision board
    recipient_groups: RecipientGroupService = field(init=False)   # the issue form's unit groups
    circulation: CirculationService = field(init=False)   # 传阅: received documents to people to read
    registers: RegisterService = field(init=False)   # the 收文/发文登记簿 of a unit and year
    resend: ResendService = field(init=False)       # the sender corrects a returned delivery, sends again
    incoming: IncomingService = field(init=False)  # received documents (收文): register, review ... close
    meetings: MeetingService = field(init=False)   # 会议管理: call, change, replies (参会回执), the organiser's page
    meeting_signin: MeetingSigninService = field(init=False)   # 签到 by QR code, marking present, the lists
    circulars: CircularService = field(init=False)  # 通报: the office's circular of a period
    delegations: DelegationService = field(init=False)  # 代理: act for someone away, once approved
    reports: ReportService = field(init=False)  # 信息报送: reports sent up, receipts, adoption
    cabinet: CabinetService = field(init=False)   # 文件柜: drawers, folders, filing, uploads, the recycle bin
    phonebook: PhonebookService = field(init=False)   # 通讯录 entries and duty phones the unit admins keep
    public_services: PublicServices = field(init=False)   # 公共服务: the office's links, forms, reference texts

    @classmethod
    async def start(cls, config: Config, clock: Clock | None = None, create: bool = True) -> Hub:
        """Open the store and build the services; background work starts with `run_background`."""
        clock = clock or make_clock(config)
        store = await open_store(config.store.database_url, readers=config.store.readers,
                                 synchronous=config.store.synchronous, create=create)
        p = config.passwords
        hasher = PasswordHasher(p.argon2_time_cost, p.argon2_memory_kib, p.argon2_parallelism)
        c = config.calendar
        calendar = china_calendar(c.extra_holidays.replace(",", " ").split(),
                                  c.extra_workdays.replace(",", " ").split(), config.windows.working_hours)
        r = config.realtime
        feed = EventFeed(store, clock, timedelta(days=r.retention_days), r.queue_frames, r.poll_ms / 1000)
        pokes: list[Callable[[], None]] = [feed.poke]

        def poke_all() -> None:
            """Events and outbox rows were committed: the feed and the SMS sender look."""
            for poke in pokes:
                poke()

        shared = store.dialect == "postgresql"    # several processes may share the database
        scheduler = Scheduler(store, clock, on_ran=lambda _n: signals.published(),
                              roads=RoadDeadlines(lambda unit_id: signals.todo_changed(unit_id)),
                              poll_seconds=config.cluster.heartbeat_seconds if shared else None)
        # each service's "I committed" goes to this process's workers and to the other processes'
        signals = Signals(Local(poke_all, feed.todo_changed, feed.end_sessions, scheduler.wake),
                          config.store.database_url if shared else None)
        published, todo_changed, wake = signals.published, signals.todo_changed, signals.wake

        def road_moved(unit_id: int) -> None:
            """A road move committed: the unit's to-do badges refresh, and the scheduler looks again at
            its earliest timer (the move may have put a step's deadline rungs on the schedule)."""
            todo_changed(unit_id)
            wake()

        identity = IdentityService(store, clock, config, hasher, signals.end_sessions)   # ended: sockets close
        items = ItemService(store, clock, config, calendar, wake, published, feed.caught_up)
        processes = ProcessRegistry(store, clock, config, on_taken_over=lambda: sms.poke())
        sms = SmsService(store, clock, config, make_gateway(config, clock), items, identity, published, wake,
                         processes)
        pokes.append(sms.poke)
        hub = cls(config=config, clock=clock, store=store, hasher=hasher, calendar=calendar,
                  identity=identity, items=items, duty=DutyDeskService(store, clock, config, published),
                  stats=StatsService(store, clock), scheduler=scheduler, feed=feed, sms=sms,
                  otp=OtpService(store, clock, config), signals=signals, processes=processes)
        # approvals are confirmed by the one-time-password service (bound late: it is built above)
        hub.documents = DocumentService(store, clock, config, items,
                                        lambda actor, code, purpose, target: hub.otp.confirm(
                                            actor, code, purpose, target), todo_changed)
        hub.paper = PaperService(store, clock, hub.documents, renderer_for(config.paper))
        hub.seals = SealService(store, clock, config,
                                lambda actor, code, purpose, target: hub.otp.confirm(actor, code, purpose, target),
                                todo_changed)
        hub.seals.sealed = SealedPdfMaker(hub.paper, hub.paper.renderer, hub.otp.at_rest_key)
        hub.search = SearchService(store, clock)
        hub.cabinet = CabinetService(store, clock, config)
        hub.phonebook = PhonebookService(store, clock)
        hub.public_services = PublicServices(store, clock, config)
        hub.duty_log = DutyLogService(store, clock)
        hub.chase = ChaseService(store, clock, published)
        hub.road_chase = RoadChaseService(store, clock, config, published, todo_changed)
        hub.supervision = SupervisionService(store, clock, config, hub.road_chase, published, road_moved)
        hub.recipient_groups = RecipientGroupService(store, clock)
        hub.circulation = CirculationService(store, clock, config, road_moved, published)
        hub.registers = RegisterService(store, clock)
        hub.resend = ResendService(store, clock, config, calendar, wake, published)
        hub.incoming = IncomingService(store, clock, config, calendar, items,
                                       lambda actor, code, purpose, target: hub.otp.confirm(
                                           actor, code, purpose, target), road_moved)
        hub.circulars = CircularService(store, clock, config, items)
        hub.delegations = DelegationService(store, clock, config, signals.end_sessions, todo_changed)
        identity.acting_for = hub.delegations.acting_actor     # a session acting for another (代理)
        hub.reports = ReportService(store, clock, config, calendar, items, road_moved)
        hub.meetings = MeetingService(store, clock, config, calendar, items, wake, published)
        hub.meeting_signin = MeetingSigninService(store, clock, config)
        await feed.prime()      # before any connection: see EventFeed.prime
        await hub.seals.unlock_from_config()     # only with seals.authority_passphrase(_file) set
        return hub

    def run_background(self) -> None:
        """Start the escalation scheduler (which first runs every step overdue since the last stop)
        the realtime feed, the SMS sender, and (on PostgreSQL) the heartbeat and the signals to and
        from the other processes."""
        self.signals.start()
        self.processes.start()
        self.scheduler.start()
        self.feed.start()
        self.sms.start()

    async def close(self) -> None:
        await self.sms.stop()
        await self.feed.stop()
        await self.scheduler.stop()
        await self.signals.stop()
        await self.processes.stop()     # after the SMS sender: nothing of this process is in flight now
        await self.store.close()
