"""Chinese full-text search's terms: unigrams and bigrams for recall, any query safe."""

import pytest

from hub.domain.search import BREAK, fts5_match, parse_query, snippet, tokens, tsquery


def phrase_in(stream: str, phrase: tuple[str, ...]) -> bool:
    toks = stream.split()
    return any(tuple(toks[i:i + len(phrase)]) == phrase for i in range(len(toks)))


@pytest.mark.parametrize(("text", "query"), [
    ("关于做好防汛工作的通知", "防汛"),            # two characters
    ("关于做好防汛工作的通知", "防汛工作"),        # a four-character word
    ("请各单位及时办理待处理事项", "处理"),        # a word inside a longer one
    ("全区信访工作会议纪要", "信访工作会议"),      # a phrase
    ("启用新的电子印章", "印"),                    # one character
    ("ＧＢ／Ｔ 9704 格式", "gb"),                  # full-width letters, any case
])
def test_every_query_run_is_a_phrase_of_the_texts_tokens(text, query):
    stream = tokens(text)
    (term,) = parse_query(query).terms
    assert phrase_in(stream, term.tokens)


def test_a_phrase_does_not_match_across_a_punctuation_mark():
    stream = tokens("做好防汛。工作安排")
    (term,) = parse_query("防汛工作").terms
    assert not phrase_in(stream, term.tokens) and BREAK in stream.split()


@pytest.mark.parametrize("q", ['"', "' OR 1=1 --", "NEAR(a b)", "a* AND -b", "😀😀", "防汛" * 5000, "", "   "])
def test_any_query_is_text_never_an_operator(q):
    query = parse_query(q)
    match, ts = fts5_match(query, [3], 9), tsquery(query, [3], 9)     # unit 3's, or person 9's own
    for t in query.terms:
        assert all(tok.isalnum() for tok in t.tokens)       # only letters, digits, CJK reach the engines
    phrases = 2 * len(query.terms) + len(query.words) if query.words else len(query.terms)   # words: rank only
    assert ("'" not in match) and match.count('"') == 2 * phrases
    assert ts.count("'") == 2 * (sum(len(t.tokens) for t in query.terms) + 2)
    assert len(query.terms) <= 16


def test_the_snippet_marks_every_match_around_the_first():
    text = "一、" + "各乡镇要高度重视。" * 10 + "做好防汛工作，待处理事项及时处理。"
    pieces = snippet(text, parse_query("处理 防汛"), width=40)
    assert pieces[0].text == "…" and [p.text for p in pieces if p.hit] == ["防汛", "处理", "处理"]
    assert "".join(p.text for p in pieces if p.text != "…") in text
    assert not any(p.hit for p in snippet("没有命中", parse_query("防汛")))
