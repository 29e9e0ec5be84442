-- A report that carries an X-Clearbounce field without a MAC that verifies
-- (anyone can write one: a forged "already rewritten") is rewritten like
-- any other, and the field is removed. Both paths, and a second field with
-- another case of the name.
dofile(samples .. "/common.lua")

local conn = connect()
local headers, body = read_message("dsn-already-rewritten.eml")

mail_from(conn, "<>", "A02161C0622", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_BODYCHANGE), "a report with an unverified marker was not rewritten")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Clearbounce"), "the unverified X-Clearbounce was not removed")
check(mt.eom_check(conn, MT_HDRADD, "X-Clearbounce"), "no X-Clearbounce of our own was added")

local twice = {}
for _, field in ipairs(headers) do twice[#twice + 1] = field end
twice[#twice + 1] = { name = "x-clearbounce", value = " category=recipient.mailbox_full; locale=de" }
mail_from(conn, "", "A02161C0623", SMFIR_CONTINUE)
send_headers(conn, twice, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_BODYCHANGE), "a report with two unverified markers was not rewritten")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Clearbounce"), "the unverified X-Clearbounce fields were not removed")

-- A well-formed marker whose MAC is wrong (another key, or copied from
-- another message) over SMTP: removed, and the report rewritten.
local wrong = {}
for _, field in ipairs(headers) do
  if field.name == "X-Clearbounce" then
    wrong[#wrong + 1] = { name = field.name, value = field.value .. "; mac=" .. string.rep("A", 43) }
  else
    wrong[#wrong + 1] = field
  end
end
mail_from(conn, "<>", "A02161C0624", SMFIR_CONTINUE)
send_headers(conn, wrong, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_HDRDELETE, "X-Clearbounce"), "the X-Clearbounce with a wrong MAC was not removed")
check(mt.eom_check(conn, MT_BODYCHANGE), "a report with a wrong MAC was not rewritten")

mt.disconnect(conn)
