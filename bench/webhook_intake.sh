#!/usr/bin/env bash
# Durable webhook acks per second: `grimoire serve` on a fresh SQLite file, wrk on loopback
# sending signed ~24 KB pull_request deliveries with distinct delivery ids, 64 connections.
# Usage: bench/webhook_intake.sh [seconds] [connections]   (needs wrk: apt install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
connections="${2:-64}"
port=8787
work="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT

body=tests/fixtures/webhooks/pull_request/opened.1.json
secret="bench-secret"
signature="$(.venv/bin/python -c 'import sys; from grimoire.core.webhook_signature import sign; print(sign(sys.argv[1], open(sys.argv[2], "rb").read()))' "$secret" "$body")"

export DATABASE_URL="sqlite+aiosqlite:///$work/bench.db" GITHUB_WEBHOOK_SECRET="$secret"
export WORKER_CONCURRENCY="${WORKER_CONCURRENCY:-0}" LOG_LEVEL=WARNING
.venv/bin/grimoire serve --port "$port" --no-access-log &
server=$!
for _ in $(seq 100); do curl -sf "localhost:$port/health/live" >/dev/null && break; sleep 0.1; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
ticks_before="$(cpu_ticks)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s bench/webhook_intake.lua \
    "http://127.0.0.1:$port/webhook" -- "$body" "$signature"
echo "stored deliveries: $(.venv/bin/python -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from deliveries").fetchone()[0])' "$work/bench.db")"
# CPU time is steadier than throughput on a shared machine: compare versions by it.
stored="$(.venv/bin/python -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from deliveries").fetchone()[0])' "$work/bench.db")"
echo "server CPU per stored delivery: $(( ($(cpu_ticks) - ticks_before) * 1000000 / $(getconf CLK_TCK) / stored )) us"
