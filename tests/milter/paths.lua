-- milter.handle_local_bounces = false (set by the driver): the MTA's own
-- bounces (empty envelope sender, the non_smtpd_milters path) are accepted
-- at MAIL FROM; reports received over SMTP (<>) are still rewritten.
dofile(samples .. "/common.lua")

local conn = connect()
local headers, body = read_message("dsn-mailbox-full.eml")

mail_from(conn, "", "E10001C0900", SMFIR_ACCEPT)

mail_from(conn, "<>", "E20001C0911", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_BODYCHANGE), "the report received over SMTP was not rewritten")

mt.disconnect(conn)
