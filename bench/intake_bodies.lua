-- wrk script: signed pull_request deliveries taken in turn from N prepared bodies, each request
-- with its own X-GitHub-Delivery id. Usage: wrk -s bench/intake_bodies.lua URL -- DIR N
-- DIR holds body-1.json .. body-N.json and sig-1 .. sig-N (see bench/intake_under_load.py).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  bodies, sigs = {}, {}
  count = tonumber(args[2])
  for n = 1, count do
    local body = assert(io.open(args[1] .. "/body-" .. n .. ".json", "rb"))
    bodies[n] = body:read("*a")
    body:close()
    local sig = assert(io.open(args[1] .. "/sig-" .. n, "rb"))
    sigs[n] = sig:read("*a")
    sig:close()
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-GitHub-Event"] = "pull_request"
  prefix = string.format("load-%d-%d-", os.time(), id)
  non2xx = 0
end

function request()
  counter = counter + 1
  local n = (counter + id) % count + 1
  wrk.headers["X-GitHub-Delivery"] = prefix .. counter
  wrk.headers["X-Hub-Signature-256"] = sigs[n]
  wrk.body = bodies[n]
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
  io.write(string.format("p99: %.2f ms\n", latency:percentile(99) / 1000))
  io.write(string.format("non-2xx: %d\n", bad))
end
