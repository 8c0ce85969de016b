-- Workload 2: POST /contacts/{id} changing one random field (json-server: PATCH, its update verb).
local fields = { "first_name", "last_name", "email", "phone_1", "phone_2", "receiving_bank_name" }
local method = peer and "PATCH" or "POST"
request = function()
  counter = counter + 1
  local field = fields[math.random(#fields)]
  local value
  if field == "email" then
    value = "bench" .. tid .. "." .. counter .. "@example.com"
  else
    value = "V" .. tid .. "-" .. counter .. "-" .. math.random(1000000)
  end
  local body = '{"' .. field .. '":"' .. value .. '"}'
  return wrk.format(method, base .. "/contacts/" .. math.random(min_id, max_id), json_headers, body)
end
