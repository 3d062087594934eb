"""Figures for issue 10's hostile inputs: the terms reading on run-on pages, and the memory peak
of a brotli bomb.

    .venv/bin/python bench/hostile.py [--sizes 18000 36000 72000]

Prints the seconds ``find_terms`` takes on a page that is one endless sentence of term phrases,
per size (linear: doubling the size about doubles the time), then the peak resident memory a
fetch of 1 GiB of zeros compressed with brotli adds (the decoded-size cap is 50 MiB).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

import brotli

from monitor.config import FetchLimits, load_settings
from monitor.errors import TooLargeError
from monitor.facts.spec import TermsFactSpec
from monitor.facts.terms import find_terms
from monitor.fetch import Fetcher, build_client

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.hostile import HostileServer, response, send  # noqa: E402

UNIT = "Ukraine backstop after a ceasefire, U.S. troops, coordination cell, "


def terms(sizes: list[int]) -> None:
    facts = load_settings(REPO / "feeds.yaml", env={}).facts
    spec = next(f for f in facts if isinstance(f, TermsFactSpec))
    find_terms(UNIT * 30, spec)  # compile the patterns
    for size in sizes:
        text = (UNIT * (size // len(UNIT) + 1))[:size]
        started = time.perf_counter()
        found = find_terms(text, spec)
        took = time.perf_counter() - started
        print(f"terms   {size:>7} chars  {len(found):>5} mentions  {took:6.2f} s")


def bomb() -> None:
    packer = brotli.Compressor(quality=5)
    body = b"".join(packer.process(b"\0" * (1 << 20)) for _ in range(1024)) + packer.finish()
    limits = FetchLimits(allow_networks=("127.0.0.0/8",), per_host_delay=timedelta(0))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    async def fetch() -> str:
        with HostileServer() as h:
            h.paths["/bomb"] = send(response("200 OK", {"Content-Encoding": "br"}, body))
            client = build_client(limits)
            try:
                await Fetcher(limits, client).fetch(h.url("/bomb"))
            except TooLargeError as exc:
                return str(exc)
            finally:
                await client.aclose()
        return "not stopped"

    outcome = asyncio.run(fetch())
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    print(f"bomb    {len(body)} bytes of brotli -> 1 GiB: peak grew {grown:.0f} MiB; {outcome}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[18_000, 36_000, 72_000])
    args = parser.parse_args(argv)
    terms(args.sizes)
    bomb()
    return 0


if __name__ == "__main__":
    sys.exit(main())
