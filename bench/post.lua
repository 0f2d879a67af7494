-- wrk script: POST one fixed JSON body with a bearer key, and print the
-- results as one parseable line.
-- Usage: wrk ... -s bench/post.lua URL -- API_KEY JSON_BODY
-- (run.py builds the body, so its preflight check sends exactly the same bytes)

function init(args)
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Authorization"] = "Bearer " .. args[1]
   wrk.body = args[2]
end

-- Latencies are in microseconds. errors.status counts answers with status > 399.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
      '"max_us":%d,"mean_us":%.1f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
      '"timeouts":%d,"non2xx":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, e.connect, e.read, e.write, e.timeout, e.status))
end
