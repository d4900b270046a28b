"""Full-text search over official documents in Chinese, as pure functions (no store, no I/O).

Chinese has no spaces, so the text is indexed as n-grams: every character (unigram) and every
pair of neighbours (bigram) of each run of Chinese characters, and each word of each run of
letters and digits. A query's run of one character looks up that unigram; a longer run is the
phrase of its bigrams in order, which matches exactly where the run occurs in the text - so a
two-character query (防汛, 信访, 印章), a four-character word and a phrase all match wherever
they stand, even inside longer words (处理 in 待处理), which a word segmenter alone misses.
Ranking adds words: each Chinese run is also cut into words by a kept segmenter (rjieba, jieba's
Rust port: ~0.1 ms a page, with a dictionary of government terms such as 防汛, 督办, 签收 added),
indexed as tokens of their own (WORD + the word). A query's runs are cut the same way and their
words weigh in the ranking, never in the matching: a document where 信访 is a word (信访事项) ranks
above one where the two characters only meet (来信访问), and a word the segmenter misses (处理 in
待处理, cut as 对待/处理 or 待/处理) is still found by its bigrams. BM25 (SQLite's FTS5; PostgreSQL's
cover density, see hub/store/search.py) over n-grams for recall and words for ranking: the engines'
own ranking, a segmenter's precision, and no dictionary needed to find a word.

The streams are space-separated tokens, so each engine's plain tokenizer (FTS5 unicode61,
PostgreSQL's 'simple') reads them as they are; a token that cannot come from any text (BREAK)
stands between runs, so a phrase never matches across a punctuation mark.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from types import ModuleType

BREAK = "zbrk"                   # between runs: no text or query yields this token
_RESERVED = re.compile(r"^(?:zbrk|zu[0-9]+|zprv|zp[0-9]+)$")
WORD = "zw"                      # a segmented word's token is WORD + the word: no text run mixes letters and CJK     # BREAK, and the access tokens (unit_token, private)
PRIVATE = "zprv"                 # on a document only its owner may find (a private cabinet's file)
MAX_QUERY_CHARS = 200            # a longer query is searched by its first 200 characters
MAX_TERMS = 16

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
_ALL_CJK = re.compile(rf"^[{_CJK}]+$")


def normalize(text: str) -> str:
    """Full-width letters and digits as ASCII, lower case (NFKC, casefold)."""
    return unicodedata.normalize("NFKC", text).casefold()


def _runs(text: str) -> list[str]:
    return _runs_of(normalize(text))


def _runs_of(folded: str) -> list[str]:
    return [r for r in _RUNS.findall(folded) if not _RESERVED.match(r)]


def unit_token(unit_id: int) -> str:
    """The token that says a unit may see a document, indexed beside its text: the engines intersect
    it with the query's terms themselves (no text or query yields it)."""
    return f"zu{unit_id}"


def private_tokens(user_id: int) -> str:
    """The access tokens of a document only `user_id` may find: PRIVATE, and theirs."""
    return f"{PRIVATE} zp{user_id}"


# words of the offices' work the segmenter's general dictionary may cut apart or not know
GOVERNMENT_TERMS = (
    "防汛", "防汛抗旱", "督办", "催办", "签收", "签发", "收文", "发文", "承办", "拟稿", "核稿", "会签", "用印",
    "印章", "公章", "传阅", "批示", "批办", "阅知", "回执", "主送", "抄送", "文号", "发文字号", "紧急程度", "特急",
    "加急", "值班室", "值班值守", "信访", "信访件", "行政复议", "人大建议", "政协提案", "安全生产", "森林防火",
    "乡村振兴", "营商环境", "隐患排查", "应急管理", "公文处理", "文件柜", "通报", "请示", "纪要",
)


@functools.cache
def _segmenter() -> ModuleType:
    import rjieba  # kept: a Rust port of jieba, with its dictionary inside
    for term in GOVERNMENT_TERMS:
        rjieba.add_word(term, None, None)
    return rjieba


def words(run: str, for_index: bool = False) -> list[str]:
    """The words of two or more characters of a Chinese run; for the index also the shorter words
    inside longer ones (各乡镇: 各乡, 乡镇, 各乡镇), so that a query's word finds them."""
    seg = _segmenter()
    cut = seg.cut_for_search(run) if for_index else seg.cut(run)
    return [w for w in cut if len(w) > 1 and _ALL_CJK.match(w)]


def tokens(text: str) -> str:
    """The indexed stream of a text: per Chinese run its unigrams then its bigrams, per other run
    the word; runs apart by BREAK. Then, after a BREAK, the text's words, each once (WORD-prefixed):
    a word ranks by being there, its bigrams count how often."""
    out: list[str] = []
    folded = normalize(text)
    for run in _runs_of(folded):
        if out:
            out.append(BREAK)
        if _IS_CJK.match(run):
            out.extend(run)
            if len(run) > 1:
                out.append(BREAK)
                out.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    # the segmenter cuts the whole text at once (its words never cross a punctuation mark or a script)
    found = dict.fromkeys(w for w in _segmenter().cut_for_search(folded) if len(w) > 1 and _IS_CJK.match(w))
    if found:
        out.append(BREAK)
        out.extend(WORD + w for w in found)
    return " ".join(out)


@dataclass(frozen=True)
class Term:
    """What one run of the query must match: a phrase of tokens in order (one token: a word)."""
    tokens: tuple[str, ...]
    text: str                    # the run itself, to highlight


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]       # all must match
    words: tuple[str, ...] = ()   # the runs' words (WORD-prefixed tokens): they rank, they do not filter

    @property
    def empty(self) -> bool:
        return not self.terms

    def highlights(self) -> tuple[str, ...]:
        """The runs to mark in a snippet, longest first."""
        return tuple(sorted({t.text for t in self.terms}, key=len, reverse=True))


def parse_query(q: str) -> Query:
    """A query of any length and characters as terms (operators, quotes and SQL are just text)."""
    terms = []
    for run in _runs(q[:MAX_QUERY_CHARS]):
        if _IS_CJK.match(run) and len(run) > 1:
            terms.append(Term(tuple(run[i:i + 2] for i in range(len(run) - 1)), run))
        else:
            terms.append(Term((run,), run))
    unique = list(dict.fromkeys(terms))[:MAX_TERMS]
    # a run of three or more characters found as it is, is as good as found as a word: only shorter runs
    # (信访: a word, or 来信访问) and the words inside a longer run rank by their words
    found = dict.fromkeys(WORD + w for t in unique if _IS_CJK.match(t.text) for w in words(t.text)
                          if len(t.text) < 3 or w != t.text)
    return Query(tuple(unique), tuple(found)[:MAX_TERMS])


def fts5_match(query: Query, units: list[int] | None = None, person: int | None = None) -> str:
    """The FTS5 MATCH expression: each term a quoted phrase, all ANDed (tokens are letters, digits
    and CJK only, so quoting is safe). With `units`, only documents one of them may see, or `person`'s
    private ones; without (a grant over every unit), all but the private documents of others."""
    text = " AND ".join('"' + " ".join(t.tokens) + '"' for t in query.terms)
    if query.words:      # ranked by, not filtered: (T) AND (T OR words) matches exactly what T matches
        text = f"({text}) AND ({text} OR " + " OR ".join(f'"{w}"' for w in query.words) + ")"
    mine = [f"zp{person}"] if person is not None else []
    if units is None:
        others = f"{PRIVATE} NOT units : {mine[0]}" if mine else PRIVATE
        return f"({text}) NOT (units : {others})"
    return "units : (" + " OR ".join([*(unit_token(u) for u in units), *mine]) + f") AND ({text})"


def rank_tsquery(query: Query) -> str:
    """What PostgreSQL's ts_rank_cd scores a match by: its terms, or its words."""
    return " | ".join([f"({_ts_text(query)})", *(f"'{w}'" for w in query.words)])


def _ts_text(query: Query) -> str:
    return " & ".join("(" + " <-> ".join(f"'{tok}'" for tok in t.tokens) + ")" for t in query.terms)


def tsquery(query: Query, units: list[int] | None = None, person: int | None = None) -> str:
    """The PostgreSQL tsquery text: each term a <-> phrase of quoted lexemes, all &-ed; who may see
    what as in fts5_match."""
    text = _ts_text(query)
    mine = [f"'zp{person}'"] if person is not None else []
    if units is None:
        others = f"'{PRIVATE}' & !{mine[0]}" if mine else f"'{PRIVATE}'"
        return f"{text} & !({others})"
    return "(" + " | ".join([*(f"'{unit_token(u)}'" for u in units), *mine]) + f") & {text}"


@dataclass(frozen=True)
class Piece:
    text: str
    hit: bool


def marked(text: str, query: Query) -> tuple[Piece, ...]:
    """The whole text in pieces, every match of the query's runs marked (a page opened from a hit)."""
    folded = normalize(text)
    return tuple(_pieces(text, folded if len(folded) == len(text) else text.casefold(),
                         [n for n in query.highlights() if n]))


def _pieces(window: str, low: str, needles: list[str]) -> list[Piece]:
    pieces: list[Piece] = []
    i = 0
    while i < len(window):
        hit = next((n for n in needles if low.startswith(n, i)), None)
        if hit:
            pieces.append(Piece(window[i:i + len(hit)], True))
            i += len(hit)
        else:
            j = i + 1
            while j < len(window) and not any(low.startswith(n, j) for n in needles):
                j += 1
            pieces.append(Piece(window[i:j], False))
            i = j
    return pieces


def snippet(text: str, query: Query, width: int = 80) -> tuple[Piece, ...]:
    """A window of `text` around the first match, with every match in it marked (case and
    full-width letters ignored); the text's start when nothing matches."""
    flat = " ".join(text.split())
    folded = normalize(flat)
    if len(folded) != len(flat):          # NFKC changed the length: match on the text as it is
        folded = flat.casefold()
    needles = [n for n in query.highlights() if n]
    first = min((i for i in (folded.find(n) for n in needles) if i >= 0), default=-1)
    start = max(0, first - width // 3) if first >= 0 else 0
    window, low = flat[start:start + width], folded[start:start + width]
    pieces: list[Piece] = [Piece("…", False)] if start > 0 else []
    pieces += _pieces(window, low, needles)
    if start + width < len(flat):
        pieces.append(Piece("…", False))
    return tuple(pieces)
