-- Console workload: the contacts page's search box (q: first name, last name, full name or e-mail
-- contains a first name), 25 a page, as a signed-in browser (session cookie).
request = function()
  local first = first_names[math.random(#first_names)]
  return wrk.format("GET", "/console/contacts?q=" .. first, console_headers)
end
