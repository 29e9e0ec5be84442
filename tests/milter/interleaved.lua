-- Several connections at once, their messages interleaved step by step:
-- each connection's session keeps its own message.
dofile(samples .. "/common.lua")

local headers, body = read_message("dsn-mailbox-full.eml")
local mail_headers = read_message("not-a-report.eml")
local half = math.floor(#body / 2)

local a, b, c = connect(), connect(), connect()
mail_from(a, "", "H10001C1300", SMFIR_CONTINUE)
mail_from(b, "<>", "H20001C1311", SMFIR_CONTINUE)
mail_from(c, "<>", "H30001C1322", SMFIR_CONTINUE)
send_headers(a, headers, SMFIR_CONTINUE)
send_headers(b, mail_headers, SMFIR_ACCEPT)
send_headers(c, headers, SMFIR_CONTINUE)
ok(mt.bodystring(c, body:sub(1, half)), "mt.bodystring")
expect_reply(c, SMFIR_CONTINUE, "c: first half")
ok(mt.bodystring(a, body:sub(1, half)), "mt.bodystring")
expect_reply(a, SMFIR_CONTINUE, "a: first half")
-- b starts its next message, a report this time, while a and c are half-way.
mail_from(b, "", "H20001C1333", SMFIR_CONTINUE)
send_headers(b, headers, SMFIR_CONTINUE)
ok(mt.bodystring(a, body:sub(half + 1)), "mt.bodystring")
expect_reply(a, SMFIR_CONTINUE, "a: second half")
ok(mt.bodystring(c, body:sub(half + 1)), "mt.bodystring")
expect_reply(c, SMFIR_CONTINUE, "c: second half")
send_body(b, body, SMFIR_CONTINUE)

for name, conn in pairs({ a = a, b = b, c = c }) do
  end_of_message(conn)
  check(mt.eom_check(conn, MT_BODYCHANGE), name .. ": body not replaced")
  check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", " Not delivered: Holiday photos"), name .. ": Subject not changed")
end
mt.disconnect(a)
mt.disconnect(b)
mt.disconnect(c)
