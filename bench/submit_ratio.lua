-- wrk script of bench/submit_ratio.py: POST one submission per request.
--   wrk -t N ... -s bench/submit_ratio.lua <url> -- <jobs file> <path template> N
-- The jobs file has one "<application id> <bearer token>" per line (the ceiling's: "- -"); thread n
-- of N takes lines n, n+N, n+2N, ... so that no draft is submitted twice. done() prints one JSON line.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, template = args[1], args[2]
  step = tonumber(args[3])
  jobs = {}
  for line in io.lines(file) do
    table.insert(jobs, line)
  end
  path_template = template
  position = tid + 1
  ok = 0
  bad = 0
  exhausted = 0
  body = '{"declaration_accepted": true}'
end

function request()
  local line = jobs[position]
  if line == nil then
    -- Out of drafts: repeat the last one (answered 409, counted as bad) and say so.
    exhausted = exhausted + 1
    line = jobs[#jobs] or "- -"
  end
  position = position + step
  local id, token = line:match("^(%S+) (%S+)$")
  local headers = { ["Content-Type"] = "application/json" }
  if token ~= "-" then
    headers["Authorization"] = "Bearer " .. token
  end
  return wrk.format("POST", path_template:gsub("{id}", id), headers, body)
end

function response(status, headers, response_body)
  if status == 200 and response_body:find('"submitted"', 1, true) then
    ok = ok + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, total_exhausted = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("bad")
    total_exhausted = total_exhausted + thread:get("exhausted")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "ok": %d, "bad": %d, "exhausted": %d, '
      .. '"socket_errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, total_ok, total_bad, total_exhausted,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
