-- A report larger than rewrite.max_message_bytes (the driver sets 10000
-- bytes: room for the small report's rewritten form, which the engine also
-- holds to the cap) is accepted as soon as the cap is passed, unchanged; a
-- smaller one on the same connection is still rewritten.
dofile(samples .. "/common.lua")

local conn = connect()
local cap = 10000
local headers, body = read_message("dsn-mailbox-full.eml")
check(#body < cap, "the sample grew past the test's cap")

-- The sample padded past the cap: the filter stops buffering and accepts.
local padding = string.rep("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", 200)
mail_from(conn, "", "8E0F41C0600", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
local big = body:gsub("\r\n%-%-5A1E91C0571%.1717588931/mail%.example%.com%-%-", "\r\n" .. padding .. "%0")
check(#big > cap, "padding failed")
local pieces = {}
for i = 1, #big, 1000 do pieces[#pieces + 1] = big:sub(i, i + 999) end
local accepted_at = nil
for i, piece in ipairs(pieces) do
  ok(mt.bodystring(conn, piece), "mt.bodystring")
  local reply = mt.getreply(conn)
  if reply == SMFIR_ACCEPT then
    accepted_at = i
    break
  end
  check(reply == SMFIR_CONTINUE, "body chunk " .. i .. ": unexpected reply " .. reply_name(reply))
end
check(accepted_at ~= nil, "the filter never accepted the oversized message")
check(accepted_at < #pieces, "accepted only with the last chunk: buffering did not stop at the cap")

-- The next, small report on the same connection is rewritten as usual.
mail_from(conn, "", "9F1051C0611", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_BODYCHANGE), "the small report was not rewritten")

mt.disconnect(conn)
