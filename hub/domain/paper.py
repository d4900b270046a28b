"""The official document as it is on paper (GB/T 9704-2012): its parts, and the rules its text must
keep to be laid out as the standard says. Pure: no I/O; hub/render/paper.py lays it out.

Geometry (the standard's, in millimetres): A4, top margin 37, left 28, type area 156 × 225; the
body is 22 lines of 28 characters, a line being the character's height plus 7/8 of it, so a
character is 225 / 22 / (15/8) ≈ 5.45 mm high (a little under 三号) and 156 / 28 ≈ 5.57 mm wide
with its spacing.

The body's headings are its paragraphs' first words: 一、 (黑体), （一） (楷体), 1. and （1） (仿宋).
A paragraph that begins like a heading of another kind (1、 ① (一) A. 第一章 …) is refused: the
drafter writes it as one of the four, or as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from hub.errors import XietongError

PAGE_MM = (210.0, 297.0)                    # the rest of the geometry is the template's (gbt9704.typ)
TITLE_CHARS_PER_LINE = 20                   # 二号 (22 pt) 小标宋 in 156 mm
TITLE_MAX_LINES = 3

_NUM = "一二三四五六七八九十"
HEADINGS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^[{_NUM}]+、")),
    (2, re.compile(rf"^（[{_NUM}]+）")),
    (3, re.compile(r"^[0-9]+\.(?!\d)")),
    (4, re.compile(r"^（[0-9]+）")),
)
# what looks like a heading number but is none of the four
_NOT_A_LEVEL = re.compile(rf"^(?:[0-9]+[、．]|[①-⑳]|\([{_NUM}0-9]+\)|[(（][{_NUM}0-9]+\)|[(][{_NUM}0-9]+）"
                          rf"|[A-Za-z][.、]|第[{_NUM}百零〇]+[章节部分条篇])")


@dataclass(frozen=True)
class SealPlace:
    """Where the seal's centre goes: page (from 1), millimetres from the page's left and top edges."""
    page: int
    x_mm: float
    y_mm: float


@dataclass(frozen=True)
class Block:
    """A paragraph of the body: level 0 is text, 1..4 a heading paragraph."""
    level: int
    text: str


@dataclass(frozen=True)
class Paper:
    """Every part of a 公文 that is printed, as text."""
    issuer_mark: str                  # 发文机关标志, e.g. 示范区人民政府办公室文件
    title: str
    blocks: tuple[Block, ...]
    signature: str                    # 发文机关署名
    dated: str                        # 成文日期, "2026年12月2日"
    doc_number: str = ""              # 发文字号
    urgency: str = ""                 # 紧急程度: 特急 / 加急, or none
    copy_no: str = ""                 # 份号
    signer: str = ""                  # 签发人 (上行文 only)
    main_to: str = ""                 # 主送机关
    attachments: tuple[str, ...] = ()     # 附件说明: the names, in order
    note: str = ""                    # 附注 (printed in parentheses)
    copy_to: str = ""                 # 抄送机关
    printed_by: str = ""              # 印发机关
    printed_on: str = ""              # 印发日期, "2026年12月2日"
    upward: bool = False              # 上行文 (请示, 报告): 签发人 in the header
    seal_space: bool = True           # leave the seal's place above 署名 and 成文日期


def chinese_date(d: date) -> str:
    """成文日期 as the standard writes it: Arabic numerals, no leading zeros — 2026年12月2日."""
    return f"{d.year}年{d.month}月{d.day}日"


def width_units(text: str) -> float:
    """A line's width in characters: a full-width character is 1, an ASCII one 1/2."""
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in text)


def title_lines(title: str) -> int:
    """How many lines the title takes in 二号 at 20 characters a line."""
    units = width_units(title.strip())
    return max(1, int(-(-units // TITLE_CHARS_PER_LINE)))


def heading_level(paragraph: str) -> int:
    """0 for text, 1..4 for a heading paragraph; refuses a heading number of another kind."""
    for level, pattern in HEADINGS:
        if pattern.match(paragraph):
            return level
    m = _NOT_A_LEVEL.match(paragraph)
    if m:
        raise XietongError("paper.bad_heading", start=m.group(0), text=paragraph[:20])
    return 0


def body_blocks(body: str) -> tuple[Block, ...]:
    """The body's paragraphs (one per non-empty line), each with its heading level."""
    blocks = []
    for line in body.replace("\r\n", "\n").split("\n"):
        text = line.strip().strip("\u3000")
        if text:
            blocks.append(Block(heading_level(text), text))
    return tuple(blocks)


def check_layout(title: str, body: str) -> tuple[Block, ...]:
    """What the standard's layout refuses, said before sign-off: a title over three lines, an empty
    body, a heading number of an unknown kind. Returns the body's blocks."""
    lines = title_lines(title)
    if lines > TITLE_MAX_LINES:
        raise XietongError("paper.title_too_long", lines=lines, max=TITLE_MAX_LINES,
                           chars=TITLE_CHARS_PER_LINE * TITLE_MAX_LINES)
    blocks = body_blocks(body)
    if not blocks:
        raise XietongError("paper.empty_body")
    return blocks
