"""Benchmark the matcher: ranking latency, CI-log extraction, index build time and memory.

Generated spellbooks of 1k, 10k and 100k spells (the starter spellbook plus synthetic spells
shaped like real ones: an error class, literal words, a few wildcards, 15% case-insensitive or
``.*`` patterns). Each size runs in its own process so its memory is measured alone (RSS growth
over the build, which counts RE2's C++ allocations that tracemalloc cannot see).

Measured per size:
- build: ``compile_spellbook`` wall time and RSS growth;
- rank: ``rank_spells`` for 300 different payloads (a real-looking traceback whose last line
  matches one spell), p50 and p99;
- patch: ``book.with_spell`` replacing one spell's pattern, p50 of 50;
- log: ``explain_log`` (what ``POST /api/match/log`` runs: clean the log, find every error,
  give each its role, order root cause first, rank spells for each) on a 1 MB CI log
  (timestamps, ANSI colour, pip/pytest/gcc noise, 20 embedded errors);
- naive: the approach without an index (score every spell: one regex search per spell per
  line, keyword overlap with every spell) for the same payloads, and for the log on a 32 KB
  slice, extrapolated linearly to 1 MB (the full run would take minutes at 10k spells).

Run: ``python bench/bench_match.py`` (all sizes) — prints a table and writes
bench/results/match.md. ``--sizes 1000,10000`` limits the sizes.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import re2
from sqlalchemy import insert

from grimoire import migrations
from grimoire.core.explain import explain_log
from grimoire.core.matching import (
    Spellbook,
    SpellRecord,
    compile_spellbook,
    payload_terms,
    rank_spells,
    spell_fields,
)
from grimoire.core.payload import ErrorPayload
from grimoire.core.regexsets import compile_line_pattern
from grimoire.spellbook import load_starter_spellbook
from grimoire.storage.db import create_engine
from grimoire.storage.tables import Spell

RESULTS = Path(__file__).with_name("results") / "match.md"
SYLLABLES = [
    "ba",
    "ko",
    "ri",
    "tu",
    "me",
    "sa",
    "lo",
    "ni",
    "da",
    "ve",
    "zu",
    "pe",
    "gra",
    "str",
    "on",
    "ex",
    "ic",
    "al",
    "er",
    "in",
    "qua",
    "tor",
    "mi",
]
COMMON = [
    "error",
    "failed",
    "cannot",
    "not",
    "found",
    "missing",
    "invalid",
    "unexpected",
    "timeout",
    "connection",
    "file",
    "module",
    "value",
    "type",
    "index",
    "key",
    "null",
    "memory",
    "permission",
    "denied",
    "request",
    "response",
    "server",
    "client",
    "config",
    "build",
    "test",
    "install",
    "version",
    "dependency",
    "process",
    "exit",
    "code",
    "line",
    "column",
    "symbol",
    "function",
]


def rss_mb() -> float:
    """Return this process's resident set size in MiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Generator:
    """Deterministic synthetic spells, each with an error line its pattern matches."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.vocab = sorted({self.word() for _ in range(12_000)})
        self.types = [self.cls() for _ in range(400)] + ["TypeError", "ValueError", "KeyError"]

    def word(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4)))

    def cls(self) -> str:
        suffix = self.rng.choice(["Error", "Exception", "Fault"])
        return self.word().capitalize() + self.word().capitalize() + suffix

    def words(self, n: int) -> list[str]:
        pool = self.vocab if self.rng.random() < 0.7 else COMMON
        return [self.rng.choice(pool) for _ in range(n)]

    def pattern(self, error_type: str) -> tuple[str, str]:
        a, b, c, d = (self.rng.choice(self.vocab) for _ in range(4))
        kind = self.rng.randrange(20)
        if kind < 8:
            return rf"{error_type}: {a} {b} '[^']+' (?:{c}|{d})", f"{error_type}: {a} {b} 'x1' {d}"
        if kind < 11:
            return rf"{a} {b} not found: \S+", f"{a} {b} not found: /srv/{c}.conf"
        if kind < 14:
            return rf"error\[{a.upper()}\d+\]: {b} {c}", f"error[{a.upper()}42]: {b} {c}"
        if kind < 16:
            return rf"(?i){a} {b} (?:failed|refused)", f"{a.upper()} {b} refused"
        if kind < 18:
            return rf"{a}_{b}\(\) (?:takes|got) \d+ {c}", f"{a}_{b}() got 3 {c} instead"
        return rf"{error_type}\b.*\b{a} {b}", f"{error_type} raised while {a} {b} ran"

    def spell(self, spell_id: int) -> tuple[SpellRecord, str]:
        error_type = self.rng.choice(self.types)
        pattern, example = self.pattern(error_type)
        record = SpellRecord(
            id=spell_id,
            title=" ".join(self.words(self.rng.randint(3, 7))).capitalize(),
            description=" ".join(self.words(self.rng.randint(12, 30))),
            error_type=error_type,
            error_pattern=pattern,
            solution_code="pip install fix",
            tags=tuple(self.words(2)),
            examples=(example,),
        )
        return record, example


def spellbook_spells(size: int) -> tuple[list[SpellRecord], dict[int, str]]:
    """Return ``size`` spells (the starter ones first) and an example line for each."""
    starter = [draft.record(i) for i, draft in enumerate(load_starter_spellbook(), 1)]
    examples = {spell.id: spell.examples[0] for spell in starter}
    generator = Generator()
    spells = list(starter)
    for spell_id in range(len(starter) + 1, size + 1):
        record, example = generator.spell(spell_id)
        spells.append(record)
        examples[spell_id] = example
    return spells, examples


async def store_spellbook(url: str, spells: list[SpellRecord]) -> None:
    """Create a migrated database at ``url`` holding ``spells`` (Core inserts, 5,000 at a time)."""
    engine = create_engine(url)
    await migrations.upgrade(engine)
    now = datetime.now(UTC)
    rows = [
        {
            **msgspec.structs.asdict(spell),
            "tags": ",".join(spell.tags) or None,
            "examples": list(spell.examples),
            "counter_examples": list(spell.counter_examples),
            "created_at": now,
            "updated_at": now,
        }
        for spell in spells
    ]
    async with engine.begin() as connection:
        for first in range(0, len(rows), 5000):
            await connection.execute(insert(Spell), rows[first : first + 5000])
    await engine.dispose()


def payload_for(example: str, error_type: str, rng: random.Random) -> ErrorPayload:
    """Return a traceback-shaped payload whose last line is ``example``."""
    frames = "\n".join(_frame(rng) for _ in range(12))
    return ErrorPayload(
        error_type=error_type,
        message=example,
        context="tests/test_api.py:42\nresponse = client.get('/health')",
        stack_trace=f"Traceback (most recent call last):\n{frames}\n{example}",
    )


def _frame(rng: random.Random) -> str:
    where = f'  File "/srv/app/{rng.choice(COMMON)}/{rng.choice(COMMON)}.py"'
    code = f"    {rng.choice(COMMON)}({rng.choice(COMMON)})"
    return f"{where}, line {rng.randint(1, 900)}, in {rng.choice(COMMON)}\n{code}"


def ci_log(examples: list[str], rng: random.Random, size: int = 1 << 20) -> str:
    """Return a ~1 MB GitHub Actions log with pip/pytest/gcc noise and 20 embedded errors."""
    noise = [
        "Collecting {w}=={n}.{n}.{n}",
        "  Downloading {w}-{n}.{n}-py3-none-any.whl ({n} kB)",
        "tests/test_{w}.py::test_{w} \x1b[32mPASSED\x1b[0m [ {n}%]",
        "gcc -O2 -Wall -c src/{w}.c -o build/{w}.o",
        "npm warn deprecated {w}@{n}.{n}.{n}: this package is no longer supported",
        "Step {n}/{n} : RUN pip install -r requirements.txt",
        "##[group]Run actions/setup-python@v5",
        "  {w}: {w} {w} {w}",
    ]
    lines: list[str] = []
    length = 0
    errors = iter(examples)
    while length < size:
        if rng.random() < 20 / 14000:
            example = next(errors, None)
            if example is not None:
                lines += [
                    "Traceback (most recent call last):",
                    '  File "/srv/app/main.py", line 3, in <module>',
                    "    main()",
                    example,
                ]
        text = rng.choice(noise).format(w=rng.choice(COMMON), n=rng.randint(0, 99))
        line = f"2024-05-01T12:{rng.randint(0, 59):02d}:00.0000000Z {text}"
        lines.append(line)
        length += len(line) + 1
    return "\n".join(lines)


def naive_rank(
    payload: ErrorPayload, spells: list[tuple[SpellRecord, re2._Regexp, set[str]]]
) -> list[tuple[float, int]]:
    """Score every spell: one regex search per spell per line, keyword overlap with each."""
    lines = f"{payload.message}\n{payload.stack_trace}".split("\n")
    words = set(payload_terms(payload))
    scored = []
    for spell, regex, terms in spells:
        hit = any(regex.search(line) for line in lines)
        overlap = len(words & terms) / (len(terms) or 1)
        score = 0.55 * hit + 0.3 * overlap
        if score >= 0.3:
            scored.append((score, spell.id))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored[:5]


def naive_log(text: str, spells: list[tuple[SpellRecord, re2._Regexp, set[str]]]) -> int:
    """Find the lines any spell's pattern matches: one regex search per spell per line."""
    hits = 0
    for line in text.split("\n"):
        for _, regex, _ in spells:
            if regex.search(line):
                hits += 1
    return hits


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(size: int) -> dict[str, float]:
    """Run every measurement for one spellbook size (call in a fresh process)."""
    rng = random.Random(size)
    spells, examples = spellbook_spells(size)
    before = rss_mb()
    start = time.perf_counter()
    book = compile_spellbook(spells)
    build_s = time.perf_counter() - start
    memory = rss_mb() - before
    picks = [rng.choice(spells) for _ in range(300)]
    payloads = [payload_for(examples[s.id], s.error_type, rng) for s in picks]
    rank_spells(payloads[0], book)  # first call builds RE2's lazy DFA states
    timings, found = [], 0
    for payload, spell in zip(payloads, picks, strict=True):
        start = time.perf_counter()
        matches = rank_spells(payload, book)
        timings.append((time.perf_counter() - start) * 1e3)
        found += bool(matches) and matches[0].spell_id == spell.id
    log_examples = [examples[rng.choice(spells).id] for _ in range(20)]
    log_ms, log_errors = log_pass(ci_log(log_examples, random.Random(1)), book)
    log_ms2, _ = log_pass(ci_log(log_examples, random.Random(2)), book)
    log_cpu = log_cpu_ms([ci_log(log_examples, random.Random(i)) for i in range(3, 6)], book)
    result = {
        "size": size,
        "build_s": build_s,
        "memory_mb": memory,
        "rank_p50_ms": percentile(timings, 0.5),
        "rank_p99_ms": percentile(timings, 0.99),
        "top1": found / len(picks),
        "patch_ms": patch_ms(book, spells),
        "log_ms": log_ms,
        "log_ms_fresh": log_ms2,
        "log_cpu_ms": log_cpu,
        "log_errors": log_errors,
    }
    if size <= 10_000:
        result.update(naive(spells, payloads[:20], ci_log(log_examples, random.Random(1))))
    return result


def log_pass(text: str, book: Spellbook) -> tuple[float, int]:
    start = time.perf_counter()
    errors = explain_log(text, book, limit=3)
    return (time.perf_counter() - start) * 1e3, len(errors)


def log_cpu_ms(texts: list[str], book: Spellbook) -> float:
    """Return the median CPU time of a log pass: on a shared machine wall time measures the
    neighbours too (the process waits for a core), CPU time measures the pass."""
    timings = []
    for text in texts * 3:
        start = time.process_time()
        explain_log(text, book, limit=3)
        timings.append((time.process_time() - start) * 1e3)
    return percentile(timings, 0.5)


def patch_ms(book: Spellbook, spells: list[SpellRecord]) -> float:
    timings = []
    for i in range(50):
        spell = spells[(i * 7919) % len(spells)]
        changed = SpellRecord(**{**_fields(spell), "error_pattern": f"patched {i} [a-z]+ done"})
        start = time.perf_counter()
        book = book.with_spell(changed)
        timings.append((time.perf_counter() - start) * 1e3)
    return percentile(timings, 0.5)


def _fields(spell: SpellRecord) -> dict[str, object]:
    return {name: getattr(spell, name) for name in spell.__struct_fields__}


def naive(spells: list[SpellRecord], payloads: list[ErrorPayload], log: str) -> dict[str, float]:
    compiled = [
        (
            s,
            compile_line_pattern(s.error_pattern),
            {t for tokens in spell_fields(s).values() for t in tokens},
        )
        for s in spells
    ]
    start = time.perf_counter()
    for payload in payloads:
        naive_rank(payload, compiled)
    rank_ms = (time.perf_counter() - start) * 1e3 / len(payloads)
    piece = log[: 32 * 1024]
    start = time.perf_counter()
    naive_log(piece, compiled)
    log_ms = (time.perf_counter() - start) * 1e3 * len(log) / len(piece)
    return {"naive_rank_ms": rank_ms, "naive_log_ms": log_ms}


def table(results: list[dict[str, float]]) -> str:
    head = (
        "| spells | build s | index MiB (RSS) | rank p50 ms | rank p99 ms | top-1 | patch ms "
        "| 1 MB log ms (1st / 2nd log) | 1 MB log CPU ms (median) | errors | naive rank ms "
        "| rank speed-up "
        "| naive 1 MB log ms* | log speed-up |"
    )
    lines = [head, "|" + "---|" * 14]
    for r in results:
        naive_rank = r.get("naive_rank_ms", 0.0)
        naive_log = r.get("naive_log_ms", 0.0)
        rank_ratio = f"{naive_rank / r['rank_p50_ms']:.0f}x" if naive_rank else "-"
        log_ratio = f"{naive_log / r['log_ms']:.0f}x" if naive_log else "-"
        lines.append(
            f"| {int(r['size']):,} | {r['build_s']:.2f} | {r['memory_mb']:.0f} "
            f"| {r['rank_p50_ms']:.2f} | {r['rank_p99_ms']:.2f} | {r['top1']:.2f} "
            f"| {r['patch_ms']:.1f} | {r['log_ms']:.1f} / {r['log_ms_fresh']:.1f} "
            f"| {r.get('log_cpu_ms', 0.0):.1f} "
            f"| {int(r['log_errors'])} | {f'{naive_rank:.1f}' if naive_rank else '-'} "
            f"| {rank_ratio} | {f'{naive_log:,.0f}' if naive_log else '-'} | {log_ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Measure each size in a child process; print and save the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"measured {size:,} spells", file=sys.stderr)
    text = table(results)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        "# Matcher benchmark\n\nProduced by `python bench/bench_match.py` on a 2-core machine "
        "(Python 3.11, google-re2). \\* the naive log pass is timed on a 32 KB slice and "
        "extrapolated linearly to 1 MB.\n\n" + text + "\n"
    )


if __name__ == "__main__":
    main()
