-- wrk script: GET wrk's URL (the token comes with -H "Authorization: Bearer
-- ..."); done() prints one JSON line with requests, errors and exact latency
-- percentiles from wrk's histogram (microseconds). Answers are not parsed
-- (that would take client CPU from a 2-core machine): wrk counts every
-- status above 399 in errors_status, and bench/http_bench checks that the
-- route answers 200 before the run.
--
--   wrk -t2 -c64 -d10s -H "Authorization: Bearer TOKEN" -s bench/http/get.lua URL

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
      '{"kind":"wrk","script":"get","requests":%d,"errors_connect":%d,"errors_read":%d,' ..
      '"errors_write":%d,"errors_timeout":%d,"errors_status":%d,"duration_us":%d,' ..
      '"latency_us_p50":%d,"latency_us_p90":%d,"latency_us_p99":%d,"latency_us_max":%d}\n',
      summary.requests, e.connect, e.read, e.write, e.timeout, e.status, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
