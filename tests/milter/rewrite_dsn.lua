-- A Postfix delivery report is rewritten: Subject changed (SMFIR_CHGHEADER),
-- X-Clearbounce added (SMFIR_ADDHEADER), body replaced (SMFIR_REPLBODY),
-- then accepted. Both paths: the MTA's own bounce (empty sender, the
-- non_smtpd_milters path) and a report received over SMTP (<>).
dofile(samples .. "/common.lua")

local conn = connect()
local headers, body = read_message("dsn-mailbox-full.eml")

for _, sender in ipairs({ "", "<>" }) do
  mail_from(conn, sender, "7C2D31C0588", SMFIR_CONTINUE)
  send_headers(conn, headers, SMFIR_CONTINUE)
  send_body(conn, body, SMFIR_CONTINUE)
  end_of_message(conn)

  check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced (SMFIR_REPLBODY)")
  check(mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "Subject not changed (SMFIR_CHGHEADER)")
  check(mt.eom_check(conn, MT_HDRCHANGE, "Subject", " Not delivered: Holiday photos"),
        "Subject changed to another value")
  check(mt.eom_check(conn, MT_HDRADD, "X-Clearbounce"), "X-Clearbounce not added (SMFIR_ADDHEADER)")
  check(mt.eom_check(conn, MT_HDRADD, "X-Clearbounce", " category=recipient.mailbox_full; locale=en"),
        "X-Clearbounce has another value")
  check(not mt.eom_check(conn, MT_HDRDELETE), "a header was deleted")
  check(not mt.eom_check(conn, MT_HDRINSERT, "Subject"), "Subject inserted instead of changed")
end

mt.disconnect(conn)
