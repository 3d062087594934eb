"""Extract stage: text and metadata from real pages."""

from __future__ import annotations

import os
import pickle
import zlib

import pytest
import trafilatura

from monitor.errors import ExtractError
from monitor.extract import (
    OPTIONS,
    WORKER_NICENESS,
    compress_html,
    decompress_html,
    extract_article,
    extract_page,
    make_pool,
)

from .corpus import aeb_pages, aeb_truth, token_f1

PAGE = b"""<html lang="en-GB"><head><title>Coalition grows | Kyiv Wire</title>
<meta property="article:published_time" content="2025-09-04T08:00:00+00:00">
<meta name="author" content="Olena Marchenko"></head>
<body><nav>Home | World | Sport</nav><article><h1>Coalition grows to 26 countries</h1>
<p>Twenty-six countries pledged on Thursday to deploy troops to Ukraine after a ceasefire,
officials said after the meeting in Paris, which was attended by 35 delegations.</p>
<p>The pledges were described as a first step by the French president.</p></article>
<footer>Copyright Kyiv Wire</footer></body></html>"""


def test_extracts_text_and_metadata() -> None:
    doc = extract_article(PAGE, "https://kyivwire.example/coalition")
    assert "Twenty-six countries pledged" in doc.text
    assert "Home | World" not in doc.text and "Copyright" not in doc.text
    assert doc.title and "Coalition grows" in doc.title
    assert doc.author == "Olena Marchenko"
    assert doc.published is not None and doc.published.date().isoformat() == "2025-09-04"
    assert doc.language == "en"
    assert pickle.loads(pickle.dumps(doc)) == doc  # crosses the process pool


@pytest.mark.parametrize(
    "html", [b"", b"<html><head><script>var x;</script></head><body></body></html>", b"\x00\x01"]
)
def test_page_without_article_is_an_extract_error(html: bytes) -> None:
    with pytest.raises(ExtractError, match="extract: "):
        extract_article(html, "https://x.example/p")


def test_same_text_as_plain_trafilatura_on_real_pages() -> None:
    pages = aeb_pages()
    ours, plain = {}, {}
    for key, html in pages.items():
        try:
            ours[key] = extract_article(html).text
        except ExtractError:
            ours[key] = ""
        plain[key] = trafilatura.extract(html, **OPTIONS) or ""
    truth = aeb_truth()
    assert abs(token_f1(ours, truth) - token_f1(plain, truth)) <= 0.01
    assert token_f1(ours, truth) > 0.9


def test_metadata_is_what_trafilatura_finds_on_real_pages() -> None:
    # The pipeline skips the metadata it does not keep (categories, tags, licence); what it keeps
    # must be exactly what trafilatura's own metadata extraction gives.
    found = 0
    for key, html in aeb_pages().items():
        url = f"https://news.example/{key}"
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, **OPTIONS)
        try:
            ours = extract_article(html, url)
        except ExtractError:
            assert doc is None or not doc.text, key
            continue
        assert doc is not None, key
        assert (ours.text, ours.title, ours.author) == (doc.text, doc.title, doc.author), key
        published = ours.published.date().isoformat() if ours.published else None
        assert published == doc.date, key
        found += bool(ours.title and ours.author and ours.published)
    assert found > 60  # most of the pages have all three


def test_stored_html_reads_back_and_so_does_zlib_from_earlier_releases() -> None:
    stored = compress_html(PAGE)
    assert decompress_html(stored) == PAGE and len(stored) < len(PAGE)
    assert decompress_html(zlib.compress(PAGE, 1)) == PAGE


def test_pool_workers_run_below_the_callers_priority_and_extract() -> None:
    page = (
        b"<html><head><title>Talks</title></head><body><article>"
        + b"<p>Leaders of 26 countries met in Paris on Thursday, officials said.</p>" * 4
        + b"</article></body></html>"
    )
    with make_pool(1) as pool:
        worker = pool.submit(os.nice, 0).result(timeout=60)
        assert worker == min(19, os.nice(0) + WORKER_NICENESS)  # 19: the lowest priority
        done = pool.submit(extract_page, page, "https://news.example/talks").result(timeout=60)
    assert "26 countries" in done.extracted.text
    assert decompress_html(done.raw_html_z) == page
