-- Console workload: GET /console/contacts as a signed-in browser would (session cookie), 25 a
-- page sorted by last name, on a random page among the first list_pages; the whole HTML page.
request = function()
  local page = math.random(1, list_pages)
  return wrk.format("GET", "/console/contacts?sort=last_name&page=" .. page, console_headers)
end
