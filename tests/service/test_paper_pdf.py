"""The outgoing document as a 公文 on paper: the PDF read back, measured against GB/T 9704."""

import io
import itertools
from collections import defaultdict

import pdfplumber
import pytest

from hub.domain.documents import DocOp
from hub.domain.items import Attachment
from hub.errors import XietongError
from tests.service.test_documents import enrolled_leader, fields, to_signoff
from tests.service.test_urgent_items import actor

MM = 72 / 25.4
TEXT = "为切实做好今冬明春安全生产工作有效防范和坚决遏制各类生产安全事故发生确保全区安全生产形势持续稳定"
BODY = "\n".join(["各乡镇人民政府：为切实做好今冬明春安全生产工作，现将有关事项通知如下。",
                  "一、提高思想认识。各乡镇、各部门要充分认识做好岁末年初安全生产工作的重要性。",
                  "（一）压实工作责任。严格落实党政同责、一岗双责。",
                  "1.明确责任分工。各级主要负责同志要亲自研究部署。",
                  "（1）细化工作措施。建立工作台账，逐项销号管理。",
                  *[TEXT * 2] * 16])


def lines_of(page) -> list[tuple[float, float, float, str, list[dict]]]:
    """(top mm, x0 mm, x1 mm, text, chars) of each printed line, top to bottom."""
    rows = defaultdict(list)
    for ch in page.chars:
        rows[round(ch["top"], 1)].append(ch)
    return [(top / MM, chs[0]["x0"] / MM, chs[-1]["x1"] / MM, "".join(c["text"] for c in chs), chs)
            for top, chs in sorted(rows.items())]


async def signed_paper(hub, **kw):
    doc, office = await to_signoff(hub, body=BODY, **kw)
    leader, totp = await enrolled_leader(hub)
    await hub.documents.act(leader, doc.id, DocOp.SIGN, "同意", totp.at(hub.clock.now()))
    await hub.documents.act(office, doc.id, DocOp.REGISTER)
    return await hub.paper.pdf(office, doc.id)


async def test_the_pdf_has_the_standards_page_type_area_and_grid_of_22_lines_of_28_characters(demo_hub):
    name, pdf = await signed_paper(demo_hub)
    assert name == "示政办发〔2026〕1号.pdf" and pdf.startswith(b"%PDF-")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) >= 3
        for page in doc.pages:
            assert (round(page.width / MM), round(page.height / MM)) == (210, 297)   # A4
        full = [ln for ln in lines_of(doc.pages[1]) if ln[4][0]["size"] > 15]      # page 2: body only
        assert len(full) == 22                                                     # 22 lines a page
        pitch = [b[0] - a[0] for a, b in itertools.pairwise(full)]
        assert all(abs(p - 225 / 22) < 0.05 for p in pitch)        # a line = the height + 7/8 of it
        size_mm = full[0][4][0]["size"] / MM
        assert abs(size_mm * 15 / 8 - 225 / 22) < 0.05
        assert abs(full[0][0] - 37) < 1                             # the type area 37 mm down, and its
        assert abs(full[-1][0] - full[0][0] + 225 / 22 - 225) < 0.1  # 22 lines (each with its 7/8) are 225 mm
        whole = [ln for ln in full if len(ln[3]) == 28]             # 28 characters on a full line
        assert len(whole) >= 8 and all(len(ln[3]) <= 28 for ln in full)
        for ln in whole:
            assert abs(ln[1] - 28) < 0.2 and abs(ln[2] - (28 + 156)) < 0.3    # left 28 mm, 156 mm wide
        assert not any(ln[3][0] in "。，、；：）》”" for ln in full)     # no closing mark starts a line


async def test_every_part_of_the_document_is_printed_where_and_as_the_standard_says(demo_hub):
    _, pdf = await signed_paper(demo_hub)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        first, last = lines_of(doc.pages[0]), lines_of(doc.pages[-1])
        every = [ln for page in doc.pages for ln in lines_of(page)]
        text = {ln[3]: ln for ln in first}
        assert "加急" in text                                           # 紧急程度, top left
        mark = text["示范区人民政府办公室文件"]                         # 发文机关标志: red, 35 mm down
        assert all(c["non_stroking_color"] == (1.0, 0.0, 0.0) for c in mark[4])
        assert abs(mark[0] - (37 + 35)) < 1.5
        number = text["示政办发〔2026〕1号"]
        assert abs((number[1] + number[2]) / 2 - (28 + 78)) < 1          # 发文字号 centred
        red_rules = [r for r in doc.pages[0].lines + doc.pages[0].rects
                     if tuple(r.get("stroking_color") or ()) == (1.0, 0.0, 0.0)]
        assert red_rules and abs((red_rules[0]["x1"] - red_rules[0]["x0"]) / MM - 156) < 0.5   # the red separator
        title = text["关于做好冬季防火工作的通知"]
        assert title[4][0]["size"] == pytest.approx(22) and abs((title[1] + title[2]) / 2 - 106) < 1
        assert "东湖镇人民政府，西山镇人民政府：" in text                                  # 主送机关 with its colon
        fonts = {ln[4][0]["fontname"].split("+")[-1] for ln in first}
        assert {"NotoSerifCJKsc-Bold", "NotoSerifCJKsc-Regular", "NotoSansCJKsc-Regular"} <= fonts
        assert all("+" in ln[4][0]["fontname"] for ln in first)      # embedded (subsets)
        heading1 = next(ln for ln in first if ln[3].startswith("一、"))
        assert heading1[4][0]["fontname"].endswith("NotoSansCJKsc-Regular")         # 一、 in 黑体
        ending = "".join(ln[3] for ln in every)
        assert "附件：防火要点" in ending and "示范区人民政府办公室" in ending
        dated = next(ln for ln in every if ln[3].endswith("日") and ln[3].startswith("2026年"))
        assert dated[3] == "2026年11月24日"                                 # 成文日期: the day it was signed
        assert abs(dated[2] - (28 + 156 - 4 * 156 / 28)) < 0.3               # four characters from the right
        assert any(ln[3].endswith("印发") for ln in last)                    # 版记
        for page in doc.pages:                                              # page numbers outside
            (num,) = [ln for ln in lines_of(page) if ln[3].startswith("—")]
            assert num[3] == f"— {page.page_number} —" and abs(num[0] - (37 + 225 + 7)) < 1
            if page.page_number % 2:
                assert abs(num[2] - (28 + 156 - 14 / MM)) < 0.3
            else:
                assert abs(num[1] - (28 + 14 / MM)) < 0.3


async def test_a_draft_prints_as_a_draft_for_whoever_may_see_it_and_not_for_others(demo_hub):
    drafter = await actor(demo_hub, "bgs.clerk1")
    doc = await demo_hub.documents.draft(drafter, await fields(demo_hub), [Attachment("a.txt", b"x")])
    name, pdf = await demo_hub.paper.pdf(drafter, doc.id)
    assert name == "草稿-关于做好冬季防火工作的通知.pdf" and pdf.startswith(b"%PDF-")
    with pytest.raises(XietongError) as e:
        await demo_hub.paper.pdf(await actor(demo_hub, "xsz.clerk1"), doc.id)
    assert e.value.code == "document.not_found"


@pytest.mark.parametrize(("title", "body", "code"), [
    ("关于" + "进一步加强和改进全区安全生产监督管理工作" * 4 + "的通知", "正文。", "paper.title_too_long"),
    ("关于防火的通知", "各镇：\n1、加强巡查。", "paper.bad_heading"),
    ("关于防火的通知", "各镇：\n(一)加强巡查。", "paper.bad_heading"),
])
async def test_a_document_that_would_not_lay_out_is_refused_when_it_goes_for_review_with_the_reason(
        demo_hub, title, body, code):
    drafter = await actor(demo_hub, "bgs.clerk1")
    doc = await demo_hub.documents.draft(drafter, await fields(demo_hub, title=title, body=body))
    with pytest.raises(XietongError) as e:
        await demo_hub.documents.act(drafter, doc.id, DocOp.SUBMIT)
    assert e.value.code == code and e.value.status == 400
    assert "GB/T 9704" in e.value.message("zh") or "序数" in e.value.message("zh")


async def test_without_the_chinese_fonts_the_pdf_is_refused_naming_the_packages_never_printed_as_boxes(demo_hub):
    from hub.config import PaperConfig
    from hub.render.paper import renderer_for
    demo_hub.paper.renderer = renderer_for(PaperConfig(title_font="No Such Song", body_font="/nowhere/fangsong.ttf"))
    assert sorted(demo_hub.paper.renderer.missing) == ["/nowhere/fangsong.ttf", "No Such Song"]
    drafter = await actor(demo_hub, "bgs.clerk1")
    doc = await demo_hub.documents.draft(drafter, await fields(demo_hub))
    with pytest.raises(XietongError) as e:
        await demo_hub.paper.pdf(drafter, doc.id)
    assert e.value.status == 503 and "fonts-noto-cjk" in e.value.message("zh") and "fonts-noto-cjk" in e.value.message("en")
