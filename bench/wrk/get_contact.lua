-- Workload 1: GET /contacts/{id} with random ids.
request = function()
  return wrk.format("GET", base .. "/contacts/" .. math.random(min_id, max_id), headers)
end
