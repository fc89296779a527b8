-- wrk script: POST progress updates spread over the commitments listed in $COMMITMENTS (space
-- separated ids), authenticated with $TOKEN. Each request is a valid update, so every 2xx is a real
-- appended event with all guarantees on (auth, validation, optimistic concurrency, hash chain).
local ids = {}
for id in string.gmatch(os.getenv("COMMITMENTS") or "", "%S+") do
  table.insert(ids, id)
end
local token = os.getenv("TOKEN")
local statuses = {"in_progress", "delayed", "in_progress", "achieved"}
local counter = 0

request = function()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  local body = string.format(
    '{"status":"%s","effective_date":"2024-06-%02d","percent_complete":%d,"narrative":"Load test update %d: training sessions held with member states and partners"}',
    statuses[(counter % #statuses) + 1], (counter % 28) + 1, counter % 101, counter)
  return wrk.format("POST", "/v1/commitments/" .. id .. "/progress", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
