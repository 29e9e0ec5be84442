-- milter.dry_run = true (set by the driver): a report that would be
-- rewritten only gets X-Clearbounce; Subject and body stay as they are.
dofile(samples .. "/common.lua")

local conn = connect()
local headers, body = read_message("dsn-mailbox-full.eml")

mail_from(conn, "", "D10001C0800", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_HDRADD, "X-Clearbounce"), "X-Clearbounce not added")
check(not mt.eom_check(conn, MT_BODYCHANGE), "body replaced in a dry run")
check(not mt.eom_check(conn, MT_HDRCHANGE), "a header changed in a dry run")

mt.disconnect(conn)
