#!/usr/bin/env bash
# Spell reads, ours vs a naive FastAPI service, side by side with wrk (16 connections):
# GET /api/spells/{id} and GET /api/spells?limit=50 on a 1,000-spell SQLite file, against
# `grimoire serve` of this checkout (WORKER_CONCURRENCY=0, no access log) and
# bench/naive_fastapi.py (a session per request, pydantic models; uvicorn's defaults, no access
# log) on the same file. Both must first give equal JSON bodies, X-Total-Count and statuses.
# Then ROUNDS alternations (the order flips each round), each path ours and naive for SECONDS.
# Prints a Markdown section: append it to bench/results/spell_reads.md.
#
# Usage: bench/spell_reads_vs_fastapi.sh [seconds] [rounds] [venv]
#   venv: a virtualenv with fastapi, uvicorn[standard], pydantic, sqlalchemy[asyncio] and
#   aiosqlite (bench-only, never project dependencies); without it one is made in a temporary
#   directory and removed afterwards. Needs wrk (apt install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
venv="${3:-}"
ours_port=8794
naive_port=8795
work="$(mktemp -d)"
servers=()
stop_servers() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap 'stop_servers; rm -rf "$work"' EXIT

if [ -z "$venv" ]; then
    venv="$work/venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q fastapi 'uvicorn[standard]' pydantic 'sqlalchemy[asyncio]' aiosqlite
fi

.venv/bin/python - "$work/bench.db" <<'PY'
import asyncio, sys
sys.path.insert(0, "bench")
from bench_match import spellbook_spells, store_spellbook
spells, _ = spellbook_spells(1000)
asyncio.run(store_spellbook(f"sqlite+aiosqlite:///{sys.argv[1]}", spells))
PY

export DATABASE_URL="sqlite+aiosqlite:///$work/bench.db" WORKER_CONCURRENCY=0 LOG_LEVEL=WARNING

wait_for() {  # $1: URL
    for _ in $(seq 300); do curl -sf "$1" >/dev/null && return; sleep 0.1; done
    echo "no answer from $1" >&2; exit 1
}

.venv/bin/python -m grimoire serve --port "$ours_port" --no-access-log &
ours=$!; servers+=("$ours")
"$venv/bin/python" -m uvicorn naive_fastapi:app --app-dir bench --port "$naive_port" \
    --no-access-log --log-level warning &
naive=$!; servers+=("$naive")
wait_for "localhost:$ours_port/health/live"
wait_for "localhost:$naive_port/api/spells/1"
# Wait until our spellbook is compiled (the first match waits for it): reads come from memory.
curl -sf -X POST "localhost:$ours_port/api/match" -H 'Content-Type: application/json' \
    -d '{"message": "x"}' >/dev/null

.venv/bin/python - "http://127.0.0.1:$ours_port" "http://127.0.0.1:$naive_port" <<'PY'
import sys
import httpx
ours, naive = sys.argv[1:3]
for path in ("/api/spells/1", "/api/spells/500", "/api/spells/1000", "/api/spells?limit=50",
             "/api/spells?skip=950&limit=100", "/api/spells/999999", "/api/spells?limit=0"):
    a, b = httpx.get(ours + path), httpx.get(naive + path)
    assert a.status_code == b.status_code, (path, a.status_code, b.status_code)
    if a.status_code == 200:
        assert a.json() and a.json() == b.json(), f"{path}: the bodies differ"
        assert a.headers.get("x-total-count") == b.headers.get("x-total-count"), path
PY

measure() {  # $1: round, $2: server label, $3: pid, $4: port, $5: path
    local before ticks out requests
    before="$(awk '{print $14 + $15}' "/proc/$3/stat")"
    out="$(wrk -t2 -c16 -d"${seconds}s" --latency "http://127.0.0.1:$4$5")"
    ticks=$(( $(awk '{print $14 + $15}' "/proc/$3/stat") - before ))
    requests="$(echo "$out" | awk '/requests in/ {print $1}')"
    # Throughput on a shared machine swings with the neighbours; server CPU per request is the
    # steadier comparison.
    echo "$out" | awk -v round="$1" -v server="$2" -v path="$5" \
        -v us=$(( ticks * 1000000 / $(getconf CLK_TCK) / requests )) \
        '/Requests\/sec/ {rps=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} /Non-2xx/ {bad=$NF}
         END {printf "| %s | %s | `%s` | %.0f | %s | %s | %d | %s |\n",
              round, server, path, rps, p50, p99, us, bad ? bad : 0}'
}

versions="$("$venv/bin/python" -c 'import fastapi, pydantic, sqlalchemy, uvicorn
print(f"FastAPI {fastapi.__version__}, pydantic {pydantic.VERSION}, SQLAlchemy {sqlalchemy.__version__}, uvicorn {uvicorn.__version__}")')"
echo "## Ours vs a naive FastAPI service: $(date -u '+%Y-%m-%d %H:%M UTC'), $(git rev-parse --short HEAD)"
echo
echo "bench/spell_reads_vs_fastapi.sh $seconds $rounds: wrk -t2 -c16 -d${seconds}s, 1,000 spells, SQLite,"
echo "one process each; naive: $versions. Equal bodies, X-Total-Count and 404s checked first."
echo "Load before: $(uptime | sed 's/.*load/load/')"
echo
echo "| round | server | path | req/s | p50 | p99 | server CPU us/request | non-2xx |"
echo "|---|---|---|---|---|---|---|---|"
rows="$work/rows"
for round in $(seq "$rounds"); do
    order=("ours $ours $ours_port" "naive $naive $naive_port")
    (( round % 2 == 0 )) && order=("${order[1]}" "${order[0]}")
    for path in "/api/spells/500" "/api/spells?limit=50"; do
        for server in "${order[@]}"; do
            read -r label pid port <<<"$server"
            measure "$round" "$label" "$pid" "$port" "$path" | tee -a "$rows"
        done
    done
done
echo
echo "Load after: $(uptime | sed 's/.*load/load/')"
echo
# Ratio ours/naive per round and path: req/s (higher is better for ours) and CPU per request
# (naive/ours, so above 1 is better for ours too).
awk -F'|' '{gsub(/[ `,]/, "", $3); gsub(/[ `]/, "", $4); gsub(/[ ,]/, "", $5); gsub(/ /, "", $8)
            key = $2 "|" $4; rps[key, $3] = $5; cpu[key, $3] = $8; keys[key] = 1}
     END {for (key in keys) {split(key, k, "|"); gsub(/ /, "", k[1])
              printf "- round %s `%s`: ours/naive %.2fx req/s, %.2fx less CPU per request\n",
                     k[1], k[2], rps[key, "ours"] / rps[key, "naive"], cpu[key, "naive"] / cpu[key, "ours"]}}' \
    "$rows" | sort
