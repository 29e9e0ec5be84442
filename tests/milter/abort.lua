-- The MTA aborts a transaction in the middle of a report (SMFIC_ABORT:
-- RSET, lost client, ...): the half-read message is dropped and the next one
-- on the same connection is handled from a clean state.
dofile(samples .. "/common.lua")

local conn = connect()
local headers, body = read_message("dsn-mailbox-full.eml")

-- Aborted in the body.
mail_from(conn, "", "C10001C0700", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
ok(mt.bodystring(conn, body:sub(1, 700)), "mt.bodystring")
expect_reply(conn, SMFIR_CONTINUE, "first body chunk")
ok(mt.abort(conn), "mt.abort")

-- Aborted in the header section.
mail_from(conn, "<>", "C20001C0711", SMFIR_CONTINUE)
for i = 1, 4 do
  ok(mt.header(conn, headers[i].name, headers[i].value), "mt.header")
  expect_reply(conn, SMFIR_CONTINUE, "header " .. headers[i].name)
end
ok(mt.abort(conn), "mt.abort")

-- The next report is complete and rewritten. Had the aborted body stayed in
-- the buffer, the engine would see a damaged message and leave it alone.
mail_from(conn, "", "C30001C0722", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced after an abort")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", " Not delivered: Holiday photos"), "Subject not changed")

-- A connection that goes away mid-message (no abort, no end of message).
local gone = connect()
mail_from(gone, "", "C40001C0733", SMFIR_CONTINUE)
send_headers(gone, headers, SMFIR_CONTINUE)
ok(mt.bodystring(gone, body:sub(1, 500)), "mt.bodystring")
expect_reply(gone, SMFIR_CONTINUE, "body chunk")
mt.disconnect(gone, false)

mt.disconnect(conn)
