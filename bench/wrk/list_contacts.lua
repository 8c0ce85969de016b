-- Workload 4: GET /contacts filtered (first_name), sorted (last_name, first_name) and paged, with
-- the exact total. json-server: the same filter, _sort/_order and _page/_limit (X-Total-Count).
request = function()
  local first = first_names[math.random(#first_names)]
  local page = math.random(1, list_pages)
  local path
  if peer then
    path = "/contacts?first_name=" .. first .. "&_sort=last_name,first_name&_order=asc,asc&_page=" .. page ..
      "&_limit=" .. per_page
  else
    path = base .. "/contacts?first_name=" .. first .. "&sort=last_name:asc,first_name:asc&page=" .. page ..
      "&per_page=" .. per_page
  end
  return wrk.format("GET", path, headers)
end
