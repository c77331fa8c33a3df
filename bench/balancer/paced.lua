-- wrk script: each connection waits a random, exponentially distributed time between an answer
-- and its next request (mean PACE_MS milliseconds, from the environment), so `-c N` connections
-- offer about N * 1000 / PACE_MS requests a second in a Poisson-like stream, not wrk's usual
-- back-to-back saturation. wrk takes whole milliseconds from delay(), so each draw is rounded.
-- At the end it prints one RESULT line for the benchmark to read.
local mean = tonumber(os.getenv("PACE_MS") or "")
if mean == nil or mean <= 0 then
  error("paced.lua: PACE_MS must be a positive number of milliseconds")
end

function delay()
  return math.floor(-mean * math.log(1 - math.random()) + 0.5)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d errors=%d non2xx=%d p50=%d p90=%d p99=%d p999=%d max=%d\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
