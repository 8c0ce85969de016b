-- Workload 5: GET /companies/{id}/contacts (first page, as the real client asks for it).
request = function()
  return wrk.format("GET", base .. "/companies/" .. math.random(min_company, max_company) ..
    "/contacts?page=1&per_page=" .. per_page, headers)
end
