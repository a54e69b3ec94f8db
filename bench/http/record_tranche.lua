-- wrk script: POST /v1/commands/record-tranche with a unique command id and
-- payment reference on every request, 1 pence each (so no award is ever
-- exceeded), round-robin over the clusters given as arguments.
--
--   wrk -t2 -c64 -d10s -s bench/http/record_tranche.lua URL -- TOKEN RUN_ID CLUSTER...
--
-- Every answer other than 200 is counted (and the first one kept); done()
-- prints one JSON line with requests, the non-200 count, socket errors and
-- exact latency percentiles from wrk's histogram (microseconds).

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  token = args[1]
  run_id = args[2]
  clusters = {}
  for i = 3, #args do clusters[#clusters + 1] = args[i] end
  if token == nil or run_id == nil or #clusters == 0 then
    error("usage: wrk ... -s record_tranche.lua URL -- TOKEN RUN_ID CLUSTER...")
  end
  counter = 0
  non_200 = 0
  first_non_200 = ""
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
end

function request()
  counter = counter + 1
  local id = run_id .. "-" .. thread_id .. "-" .. counter
  local cluster = clusters[(counter + thread_id) % #clusters + 1]
  local body = '{"command_id":"' .. id .. '","cluster_id":"' .. cluster ..
      '","financial_year":"2009/10","amount_pence":1,"paid_on":"2010-02-15",' ..
      '"payment_reference":"' .. id .. '"}'
  return wrk.format("POST", "/v1/commands/record-tranche", headers, body)
end

function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
    if first_non_200 == "" then
      first_non_200 = status .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

local function quote(s)
  return '"' .. string.gsub(s, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

function done(summary, latency, requests)
  local non_200_total, sent, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    non_200_total = non_200_total + thread:get("non_200")
    sent = sent + thread:get("counter")
    if first == "" then first = thread:get("first_non_200") end
  end
  local e = summary.errors
  io.write(string.format(
      '{"kind":"wrk","script":"record_tranche","requests":%d,"sent":%d,"non_200":%d,' ..
      '"first_non_200":%s,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
      '"errors_timeout":%d,"errors_status":%d,"duration_us":%d,' ..
      '"latency_us_p50":%d,"latency_us_p90":%d,"latency_us_p99":%d,"latency_us_max":%d}\n',
      summary.requests, sent, non_200_total, quote(first), e.connect, e.read, e.write,
      e.timeout, e.status, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
