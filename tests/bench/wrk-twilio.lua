-- wrk script: POST a valid Twilio Messages form to amuddu-sandbox, to measure
-- the sandbox's raw ceiling without the gateway in front of it.
--   wrk -t1 -c256 -d5s -s tests/bench/wrk-twilio.lua http://127.0.0.1:PORT
-- Start the sandbox with --account-sid AC00000000000000000000000000000000
-- --auth-token sandbox-token (or without either, so auth is not checked).

local account = "AC00000000000000000000000000000000"
local token = "sandbox-token"

-- Basic auth for account:token; wrk's Lua has no base64, so encode here once.
local function base64(s)
	local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	local out = {}
	for i = 1, #s, 3 do
		local a, b, c = s:byte(i, i + 2)
		local n = a * 65536 + (b or 0) * 256 + (c or 0)
		local chunk = {}
		for j = 3, 0, -1 do
			local v = math.floor(n / 64 ^ j) % 64
			chunk[#chunk + 1] = alphabet:sub(v + 1, v + 1)
		end
		if not b then
			chunk[3], chunk[4] = "=", "="
		elseif not c then
			chunk[4] = "="
		end
		out[#out + 1] = table.concat(chunk)
	end
	return table.concat(out)
end

wrk.method = "POST"
wrk.path = "/2010-04-01/Accounts/" .. account .. "/Messages.json"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. base64(account .. ":" .. token)
wrk.body = "To=%2B212612345678&From=%2B15005550006&Body=Amuddu+benchmark+message"
