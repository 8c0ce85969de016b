-- Workload 3: POST /contacts (a contact with a company and two tags).
request = function()
  counter = counter + 1
  local company = math.random(min_company, max_company)
  local first = first_names[math.random(#first_names)]
  local body
  if peer then
    body = '{"first_name":"' .. first .. '","last_name":"Bench","email":"new' .. tid .. "." .. counter ..
      '@example.com","companyId":' .. company .. ',"company_id":"' .. company .. '","tags":["vip","lead"]}'
  else
    body = '{"first_name":"' .. first .. '","last_name":"Bench","email":"new' .. tid .. "." .. counter ..
      '@example.com","company_id":' .. company .. ',"tags":["vip","lead"]}'
  end
  return wrk.format("POST", base .. "/contacts", json_headers, body)
end
