-- wrk script for hook-hub: POST unique events, one per request (BATCH unset or 1) or BATCH
-- per request to /events/batch. Counts unexpected statuses and prints a machine-readable line.
local batch = tonumber(os.getenv("BATCH") or "1")
local run = tonumber(os.getenv("RUN_ID") or "0")
local threads = {}
local nextThread = 0

function setup(thread)
  thread:set("tid", nextThread)
  nextThread = nextThread + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  unexpected = 0
  path = batch > 1 and "/events/batch" or "/events"
  expected = batch > 1 and 200 or 201
  headers = { ["Content-Type"] = "application/json" }
end

local function event()
  counter = counter + 1
  return string.format(
    '{"event_uuid":"%08x-%04x-7000-8000-%012x","source_app":"bench","machine_id":"m","session_id":"bench-%d",' ..
    '"agent_id":"a","agent_type":"main","hook_event_type":"PreToolUse",' ..
    '"payload":{"tool_name":"Bash","tool_input":{"command":"npm test"},"cwd":"/home/u/project"},"timestamp":%d}',
    run, tid, counter, counter % 16, 1700000000000 + counter)
end

function request()
  local body
  if batch > 1 then
    local parts = {}
    for i = 1, batch do parts[i] = event() end
    body = "[" .. table.concat(parts, ",") .. "]"
  else
    body = event()
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status ~= expected then unexpected = unexpected + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("unexpected") end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d events_per_s=%.0f requests_per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d unexpected=%d\n",
    summary.requests, summary.requests * batch / seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status,
    bad))
end
