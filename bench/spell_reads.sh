#!/usr/bin/env bash
# Spell reads, memory path vs database path, side by side with wrk (16 connections):
# GET /api/spells/{id} and GET /api/spells?limit=50 on a 1,000-spell SQLite spellbook, against
# `grimoire serve` of this checkout (reads from the spellbook in memory) and of BASELINE (a git
# revision that reads the database every time; default: the commit before memory reads).
# Usage: bench/spell_reads.sh [seconds] [baseline-rev]   (needs wrk: apt install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
baseline="${2:-$(git log --format=%H -n1 --grep='^Spell reads from memory' | xargs -I{} git rev-parse {}~1)}"
port=8793
work="$(mktemp -d)"
server=""
trap 'test -n "$server" && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

.venv/bin/python - "$work/bench.db" <<'PY'
import asyncio, sys
sys.path.insert(0, "bench")
from bench_match import spellbook_spells, store_spellbook
spells, _ = spellbook_spells(1000)
asyncio.run(store_spellbook(f"sqlite+aiosqlite:///{sys.argv[1]}", spells))
PY
mkdir "$work/baseline"
git archive "$baseline" grimoire alembic alembic.ini | tar -x -C "$work/baseline"

export DATABASE_URL="sqlite+aiosqlite:///$work/bench.db" WORKER_CONCURRENCY=0 LOG_LEVEL=WARNING

run() {  # $1: label, $2: PYTHONPATH ("" = this checkout)
    PYTHONPATH="$2" .venv/bin/python -m grimoire serve --port "$port" --no-access-log &
    server=$!
    for _ in $(seq 200); do curl -sf "localhost:$port/health/live" >/dev/null && break; sleep 0.1; done
    # Wait until the spellbook is compiled (the first match waits for it).
    curl -sf -X POST "localhost:$port/api/match" -H 'Content-Type: application/json' \
        -d '{"message": "x"}' >/dev/null
    for path in "/api/spells/500" "/api/spells?limit=50"; do
        printf '%s %s: ' "$1" "$path"
        before="$(awk '{print $14 + $15}' "/proc/$server/stat")"
        out="$(wrk -t2 -c16 -d"${seconds}s" --latency "http://127.0.0.1:$port$path")"
        ticks=$(( $(awk '{print $14 + $15}' "/proc/$server/stat") - before ))
        requests="$(echo "$out" | awk '/requests in/ {print $1}')"
        # Throughput on a shared machine swings with the neighbours; server CPU per request
        # is the steadier comparison.
        echo "$out" | awk -v us=$(( ticks * 1000000 / $(getconf CLK_TCK) / requests )) \
            '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2}
             END {print rps " req/s, p50 " p50 ", p99 " p99 ", server CPU " us " us/request"}'
    done
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "baseline: $(git log --format='%h %s' -n1 "$baseline" | cut -c1-80)"
run "database" "$work/baseline"
run "memory  " ""
