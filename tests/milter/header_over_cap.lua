-- A report whose header section alone is larger than
-- rewrite.max_message_bytes (the driver sets 10000 bytes) passes unchanged.
-- Header fields go unanswered (SMFIP_NR_HDR), so the filter cannot accept
-- at the field that passes the cap: it accepts at end of headers, and the
-- connection stays in step with the MTA, so the next report on it is
-- rewritten as usual.
dofile(samples .. "/common.lua")

local conn = connect()
local cap = 10000
local headers, body = read_message("dsn-mailbox-full.eml")

local padded = {}
for _, field in ipairs(headers) do padded[#padded + 1] = field end
-- Many fields rather than one long one: miltertest crashes on a field of
-- more than about 1 KiB.
for i = 1, math.ceil(cap / 500) + 2 do
  padded[#padded + 1] = { name = "X-Padding-" .. i, value = " " .. string.rep("p", 500) }
end

mail_from(conn, "", "B13271C0630", SMFIR_CONTINUE)
send_headers(conn, padded, SMFIR_ACCEPT)

mail_from(conn, "", "B13271C0631", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_BODYCHANGE), "the report after the oversized header section was not rewritten")

mt.disconnect(conn)
