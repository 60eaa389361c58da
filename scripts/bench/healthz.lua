-- wrk script: GET /healthz (the no-JSON, no-fsync ceiling of the same server).
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d events_per_s=%.0f requests_per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d unexpected=0\n",
    summary.requests, summary.requests / seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status))
end
