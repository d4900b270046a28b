"""The official document's PDF: hub/domain/paper.Paper laid out by Typst (hub/render/gbt9704.typ).

Typst, through its Python binding, because it holds the standard's geometry exactly (lengths in
millimetres, a line pitch that is the same on every page), breaks Chinese lines by the rules (no
。，、 at a line's start, no 《（“ at its end), embeds subsets of OpenType CJK fonts (Debian's Noto
CJK are CFF-flavoured, which ReportLab cannot embed), and lays out a page in milliseconds. The
document goes in as JSON (sys.inputs), never spliced into markup: a title cannot inject layout.

Faces come from [paper] in the configuration: a family installed on the machine or a font file
(an office that holds the licensed 方正小标宋 and 仿宋_GB2312 names their files). When a face the
document needs is missing, the renderer says so (at start and on every PDF asked for) instead of
printing boxes: `missing` names the Debian packages that provide the defaults.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hub.config import PaperConfig
from hub.domain.paper import Paper, SealPlace
from hub.errors import XietongError

log = logging.getLogger(__name__)

PACKAGES = "fonts-noto-cjk fonts-arphic-ukai"
_TEMPLATE = "gbt9704.typ"


@dataclass(frozen=True)
class Laid:
    pdf: bytes
    seal: SealPlace


@dataclass(frozen=True)
class Face:
    family: str
    weight: int = 400


def _parse(setting: str) -> tuple[str, int]:
    name, _, style = setting.partition(":")
    return name.strip(), 700 if style.strip().lower() == "bold" else 400


def renderer_for(config: PaperConfig) -> LazyRenderer:
    return LazyRenderer(config)


class LazyRenderer:
    """The renderer of a [paper] configuration, made at its first use (reading the machine's fonts
    takes a fifth of a second; a hub that never prints a document does not pay it)."""

    def __init__(self, config: PaperConfig) -> None:
        self.config = config

    @property
    def renderer(self) -> PaperRenderer:
        return _renderer(self.config)

    @property
    def missing(self) -> list[str]:
        return self.renderer.missing

    def check(self) -> None:
        self.renderer.check()

    def render(self, paper: Paper) -> Laid:
        return self.renderer.render(paper)


@functools.lru_cache(maxsize=4)
def _renderer(config: PaperConfig) -> PaperRenderer:
    return PaperRenderer(config)


class PaperRenderer:
    """Lays out Papers as PDF; one per configuration and process (the fonts are read once)."""

    def __init__(self, config: PaperConfig) -> None:
        import typst

        files = {s: _parse(s)[0] for s in dataclasses.astuple(config) if _is_file(_parse(s)[0])}
        folders = sorted({str(Path(f).parent) for f in files.values() if Path(f).is_file()})
        fonts = typst.Fonts(include_system_fonts=True, include_embedded_fonts=True, font_paths=folders)
        by_path = {str(Path(i.path).resolve()): i.family for i in fonts.fonts() if i.path}
        families = set(fonts.families())

        def face(setting: str) -> Face | None:
            name, weight = _parse(setting)
            family = by_path.get(str(Path(name).resolve())) if _is_file(name) else name
            return Face(family, weight) if family in families else None

        found = {f.name: face(getattr(config, f.name)) for f in dataclasses.fields(config)}
        body = found["body_font"]
        # 楷体 and the page numbers' face may fall back to the body's; the others may not
        self.faces = {"title": found["title_font"], "body": body, "hei": found["heading1_font"],
                      "kai": found["heading2_font"] or body, "number": found["number_font"] or body}
        self.missing = sorted(getattr(config, k) for k, v in found.items()
                              if v is None and k in ("title_font", "body_font", "heading1_font"))
        self.fonts = fonts
        self._compiler: typst.Compiler | None = None
        self._lock = threading.Lock()      # one compile at a time (the binding's compiler is not shared)

    @property
    def ready(self) -> bool:
        return not self.missing

    def check(self) -> None:
        """Refuse (503, naming the packages) when a face the document needs is missing."""
        if self.missing:
            raise XietongError("paper.no_fonts", packages=PACKAGES)

    def render(self, paper: Paper) -> Laid:
        """The PDF and the seal's place in it (blocking: call it in a thread)."""
        import typst

        self.check()
        faces = {k: {"family": v.family, "weight": v.weight} for k, v in self.faces.items() if v}
        inputs = {"paper": json.dumps(dataclasses.asdict(paper), ensure_ascii=False), "fonts": json.dumps(faces, ensure_ascii=False)}
        with self._lock:
            if self._compiler is None:
                template = _template_path()
                self._compiler = typst.Compiler(input=template, root=template.parent, font_paths=self.fonts)
            try:
                pdf = self._compiler.compile(format="pdf", sys_inputs=inputs)
                place = json.loads(self._compiler.query("<seal-place>", field="value", one=True))
            except typst.TypstError as e:
                log.error("laying out a document failed: %s", e)
                raise XietongError("paper.render_failed", detail=str(e.message)[:200]) from e
        assert isinstance(pdf, bytes)
        return Laid(pdf, SealPlace(int(place["page"]), float(place["x"]), float(place["y"])))


_SEAL_PICTURE = b"""#set page(width: 42mm, height: 42mm, margin: 0pt)
#image(bytes(sys.inputs.at("svg")), format: "svg", width: 100%, height: 100%)
"""


def seal_picture_pdf(svg: str, renderer: PaperRenderer) -> bytes:
    """The seal's picture as a one-page PDF 42 mm across: the signature's appearance (blocking)."""
    import typst

    pdf = typst.compile(_SEAL_PICTURE, format="pdf", sys_inputs={"svg": svg}, font_paths=renderer.fonts)
    assert isinstance(pdf, bytes)
    return pdf


def _is_file(name: str) -> bool:
    return "/" in name or name.lower().endswith((".ttf", ".otf", ".ttc", ".otc"))




def _template_path() -> Path:
    """The template as a file (the binding's query cannot read a template given as bytes)."""
    path = Path(str(resources.files("hub.render").joinpath(_TEMPLATE)))
    if not path.is_file():
        raise RuntimeError(f"the document template {path} is not a file")
    return path
