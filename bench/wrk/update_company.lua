-- Workload 6: POST /companies/{id} renaming a random company (a company write: its answer carries
-- tags, custom fields and shipping addresses).
request = function()
  counter = counter + 1
  local body = '{"name":"Co ' .. tid .. "-" .. counter .. '"}'
  return wrk.format("POST", base .. "/companies/" .. math.random(min_company, max_company), json_headers, body)
end
