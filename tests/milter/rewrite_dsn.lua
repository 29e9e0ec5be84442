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
  -- Its value ends in a MAC made with this run's key, so only the name is
  -- checked here; the log line gives its category and locale.
  check(mt.eom_check(conn, MT_HDRADD, "X-Clearbounce"), "X-Clearbounce not added (SMFIR_ADDHEADER)")
  check(not mt.eom_check(conn, MT_HDRDELETE), "a header was deleted")
  check(not mt.eom_check(conn, MT_HDRINSERT, "Subject"), "Subject inserted instead of changed")
end

mt.disconnect(conn)

-- An MTA that does not offer SMFIP_HDR_LEADSPC (older Sendmail and Postfix):
-- header values arrive without their leading blank and go back without one,
-- the MTA puts "Name: " in front itself.
local old = mt.connect(socket, 40, 0.25)
check(old ~= nil, "mt.connect failed")
ok(mt.negotiate(old, 6, 0x1FF, 0x000FFFFF), "mt.negotiate without SMFIP_HDR_LEADSPC")
check(not mt.test_option(old, SMFIP_HDR_LEADSPC), "SMFIP_HDR_LEADSPC requested but not offered")
local stripped = {}
for _, field in ipairs(headers) do
  stripped[#stripped + 1] = { name = field.name, value = (field.value:gsub("^[ \t]+", "")) }
end
mail_from(old, "<>", "7C2D31C0599", SMFIR_CONTINUE)
send_headers(old, stripped, SMFIR_CONTINUE)
send_body(old, body, SMFIR_CONTINUE)
end_of_message(old)
check(mt.eom_check(old, MT_BODYCHANGE), "no SMFIP_HDR_LEADSPC: body not replaced")
check(mt.eom_check(old, MT_HDRCHANGE, "Subject", "Not delivered: Holiday photos"),
      "no SMFIP_HDR_LEADSPC: Subject not changed to a value without leading blank")
check(mt.eom_check(old, MT_HDRADD, "X-Clearbounce"), "no SMFIP_HDR_LEADSPC: X-Clearbounce not added")
mt.disconnect(old)
