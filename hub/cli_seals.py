"""`xietong seals ...`: the seal authority, seals, and offline verification of a stamped document."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from cryptography import x509

from hub.app import Hub
from hub.config import Config
from hub.crypto.pades import verify_stamped
from hub.crypto.seal_package import VerifyReport
from hub.crypto.seals import fingerprint
from hub.domain.calendar import CST
from hub.domain.identity import SystemActor
from hub.domain.seals import KIND_LABELS, STATE_LABELS, SealKind
from hub.errors import XietongError
from hub.services.seals import DEFAULT_AUTHORITY_NAME

CLI = SystemActor(login="cli", ip="local")
Command = Callable[[argparse.Namespace, Config], Awaitable[int]]


def obtain_passphrase(args: argparse.Namespace, config: Config, twice: bool) -> str:
    """From --passphrase-file, the config (XIETONG_SEALS_AUTHORITY_PASSPHRASE or its file), a terminal
    prompt, or one line of stdin."""
    if getattr(args, "passphrase_file", None):
        return Path(args.passphrase_file).read_text(encoding="utf-8").strip()
    if config.seals.authority_passphrase_file:
        return Path(config.seals.authority_passphrase_file).read_text(encoding="utf-8").strip()
    if config.seals.authority_passphrase:
        return config.seals.authority_passphrase
    if sys.stdin.isatty():
        first = getpass.getpass("Seal authority passphrase / 印章制作单位密钥口令: ")
        if twice and getpass.getpass("Again / 再输一次: ") != first:
            raise SystemExit("passphrases differ / 两次输入的口令不一致")
        return first
    line = sys.stdin.readline().strip()
    if not line:
        raise SystemExit("no passphrase given (use --passphrase-file, XIETONG_SEALS_AUTHORITY_PASSPHRASE or stdin)")
    return line


async def _unit_id(hub: Hub, code: str) -> int:
    async with hub.store.read() as tx:
        unit = await tx.units.by_code(code.upper())
    if unit is None:
        raise XietongError("unit.not_found")
    return unit.id


async def cmd_seals(args: argparse.Namespace, config: Config) -> int:
    if args.seals_cmd == "verify":            # offline: no database at all
        return await asyncio.to_thread(verify_file, Path(args.file), Path(args.authority), Path(args.crl))
    hub = await Hub.start(config, create=args.seals_cmd == "init-authority")
    try:
        return await _with_hub(args, config, hub)
    finally:
        await hub.close()


async def _with_hub(args: argparse.Namespace, config: Config, hub: Hub) -> int:
    seals = hub.seals
    if args.seals_cmd == "init-authority":
        if await seals.has_authority():
            raise XietongError("seal.authority_exists")
        pem = await seals.init_authority(CLI, obtain_passphrase(args, config, twice=True), args.name)
        cert = x509.load_pem_x509_certificate(pem)
        print(f"seal authority “{args.name}” created / 印章制作单位已建立")
        print(f"certificate SHA-256 / 证书指纹: {fingerprint(cert)}")
        print("publish its certificate and revocation list with `xietong seals publish DIR`")
        return 0
    if args.seals_cmd == "publish":
        out = Path(args.dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "authority.pem").write_bytes(await seals.authority_pem())
        (out / "crl.der").write_bytes(await seals.crl_der())
        print(f"wrote {out / 'authority.pem'} and {out / 'crl.der'}")
        return 0
    if args.seals_cmd == "export":
        data = await seals.export(CLI, args.doc_id)
        Path(args.out).write_bytes(data)
        print(f"wrote {args.out} ({len(data)} bytes)")
        return 0
    if args.seals_cmd == "list":
        unit_id = await _unit_id(hub, args.unit) if args.unit else None
        for s in await seals.seals(CLI, unit_id):
            until = s.not_after.astimezone(CST).date().isoformat()
            print(f"{s.id}\t{s.unit_name}\t{KIND_LABELS[s.kind]}\t{s.name}\t{s.state.value} "
                  f"{STATE_LABELS[s.state]}\tuntil {until}\tserial {s.serial}")
        return 0
    if not seals.unlocked:                    # make and revoke need the authority's key
        await seals.unlock(obtain_passphrase(args, config, twice=False))
    if args.seals_cmd == "make":
        unit_id = await _unit_id(hub, args.unit)
        async with hub.store.read() as tx:
            unit = await tx.units.get(unit_id)
        assert unit is not None
        seal = await seals.make_seal(CLI, unit_id, args.kind, args.name or unit.name, args.days)
        print(f"made seal {seal.id}: {seal.unit_name} {KIND_LABELS[seal.kind]} “{seal.name}”; "
              "its keeper activates it by setting the seal password")
        return 0
    seal = await seals.revoke(CLI, args.seal_id, args.reason)
    print(f"revoked seal {seal.id} ({seal.name}); the revocation list is renewed")
    return 0


def print_report(report: VerifyReport) -> None:
    if report.title or report.doc_number:
        print(f"Document / 公文: {report.title} {report.doc_number}".rstrip())
    if report.seal_name:
        print(f"Seal / 印章: {report.seal_name} ({report.unit_name}, {report.extra.get('kind', '')})")
    for f in report.findings:
        mark = "OK  " if f.ok else "FAIL"
        print(f"[{mark}] {f.en}")
        print(f"       {f.zh}")
    verdict = {"valid": ("VALID", "有效"), "valid_since_revoked": ("VALID (seal since revoked)", "有效（印章已于盖章后注销）"),
               "invalid": ("NOT VALID", "无效")}[report.status]
    print(f"Result: {verdict[0]} / 结果：{verdict[1]}")


def verify_file(file: Path, authority: Path, crl: Path) -> int:
    report = verify_stamped(file.read_bytes(), authority.read_bytes(), crl.read_bytes())
    print_report(report)
    return 0 if report.ok else 1


def add_seal_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,  # type: ignore[type-arg]
                      run: Command = cmd_seals) -> None:
    p = sub.add_parser("seals", parents=[common], help="electronic seals: authority, seals, export, verify")
    ssub = p.add_subparsers(dest="seals_cmd", required=True, metavar="ACTION")
    a = ssub.add_parser("init-authority", parents=[common],
                        help="create the seal authority: a key pair and a self-signed CA certificate")
    a.add_argument("--name", default=DEFAULT_AUTHORITY_NAME, help="the authority's name")
    a.add_argument("--passphrase-file", help="read the passphrase that encrypts its key from this file")
    ls = ssub.add_parser("list", parents=[common], help="list seals")
    ls.add_argument("--unit", help="only this unit (code)")
    m = ssub.add_parser("make", parents=[common], help="make a seal of a unit (the keeper then activates it)")
    m.add_argument("--unit", required=True, help="unit code, e.g. DHZ")
    m.add_argument("--kind", default="official", choices=[k.value for k in SealKind],
                   help="official 法定名称章, internal 内设机构章, business 业务专用章, personal 个人名章")
    m.add_argument("--name", default="", help="the seal's name (default: the unit's name)")
    m.add_argument("--days", type=int, default=730, help="days of validity (default 730)")
    m.add_argument("--passphrase-file", help="the authority's passphrase (default: from the config)")
    r = ssub.add_parser("revoke", parents=[common], help="revoke a seal (注销) and renew the revocation list")
    r.add_argument("seal_id", type=int)
    r.add_argument("--reason", required=True, help="why; registered with the change")
    r.add_argument("--passphrase-file", help="the authority's passphrase (default: from the config)")
    pub = ssub.add_parser("publish", parents=[common],
                          help="write authority.pem and crl.der (what verifiers need) into a folder")
    pub.add_argument("dir")
    e = ssub.add_parser("export", parents=[common], help="write a stamped document as one verifiable file")
    e.add_argument("doc_id", type=int)
    e.add_argument("out")
    v = ssub.add_parser("verify", parents=[common],
                        help="verify a stamped document offline, its sealed PDF or its package (no database needed)")
    v.add_argument("file")
    v.add_argument("--authority", required=True, help="the seal authority's certificate (PEM)")
    v.add_argument("--crl", required=True, help="the authority's revocation list (DER)")
    p.set_defaults(run=run)
