-- wrk script: POST one JSON body per request, rotating over the lines of BENCH_BODIES
-- from BENCH_OFFSET, and print the statuses, latency percentiles and count as one line.
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  bodies[#bodies + 1] = line
end
local next_index = tonumber(os.getenv("BENCH_OFFSET") or "0")
local step = 1
statuses = {}
wrapped = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Forwarded-For"] = os.getenv("BENCH_XFF") or "203.0.113.7"

local threads = {}
function setup(thread)
  thread:set("thread_no", #threads)
  thread:set("thread_count", tonumber(os.getenv("BENCH_THREADS") or "1"))
  table.insert(threads, thread)
end

function init(args)
  -- thread k takes the lines k, k+n, k+2n... so no two threads send the same body
  next_index = next_index + thread_no
  step = thread_count
end

function request()
  local i = next_index % #bodies
  if next_index >= #bodies then wrapped = wrapped + 1 end
  next_index = next_index + step
  return wrk.format(nil, nil, nil, bodies[i + 1])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts, wraps = {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do counts[k] = (counts[k] or 0) + v end
    wraps = wraps + t:get("wrapped")
  end
  local parts = {}
  for k, v in pairs(counts) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"wrapped": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, e.connect, e.read, e.write, e.timeout, wraps, table.concat(parts, ", ")))
end
