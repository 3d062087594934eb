from __future__ import annotations

import hashlib

from monitor.store.articles import content_hash


def test_content_hash_folds_every_kind_of_white_space() -> None:
    # A re-flowed page (new lines, tabs, no-break and em spaces) is the same version.
    plain = content_hash("26 countries pledged troops. Officials said so.")
    assert (
        content_hash("  26 countries\u00a0pledged\ttroops.\n\n Officials\u2003said so.\r\n")
        == plain
    )
    assert plain == hashlib.sha256(b"26 countries pledged troops. Officials said so.").hexdigest()
    # Any change of words is a new version.
    assert content_hash("27 countries pledged troops. Officials said so.") != plain
    assert content_hash("26 countries pledgedtroops. Officials said so.") != plain
