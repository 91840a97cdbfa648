-- wrk script: signed pull_request deliveries, each with its own X-GitHub-Delivery id.
-- Usage (see bench/webhook_intake.sh): wrk -s bench/webhook_intake.lua ... -- BODY_FILE SIGNATURE
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-GitHub-Event"] = "pull_request"
  wrk.headers["X-Hub-Signature-256"] = args[2]
  prefix = string.format("bench-%d-%d-", os.time(), id)
  non2xx = 0
end

function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = prefix .. counter
  return wrk.format()
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
  end
  io.write(string.format("requests: %d\n", summary.requests))
  io.write(string.format("acks/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50: %.2f ms\n", latency:percentile(50) / 1000))
  io.write(string.format("p90: %.2f ms\n", latency:percentile(90) / 1000))
  io.write(string.format("p99: %.2f ms\n", latency:percentile(99) / 1000))
  io.write(string.format("max: %.2f ms\n", latency.max / 1000))
  io.write(string.format("non-2xx: %d, socket errors: %d\n", bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
