-- Several transactions on one connection, as Postfix's smtpd and cleanup
-- reuse a milter connection: each message is judged on its own, and what
-- one message left behind never leaks into the next.
dofile(samples .. "/common.lua")

local conn = connect()
local dsn_headers, dsn_body = read_message("dsn-mailbox-full.eml")
local mail_headers, mail_body = read_message("not-a-report.eml")
local marked_headers = read_message("dsn-already-rewritten.eml")

local function rewritten_report(queue_id, sender, headers)
  mail_from(conn, sender, queue_id, SMFIR_CONTINUE)
  send_headers(conn, headers or dsn_headers, SMFIR_CONTINUE)
  send_body(conn, dsn_body, SMFIR_CONTINUE)
  end_of_message(conn)
  check(mt.eom_check(conn, MT_BODYCHANGE), queue_id .. ": body not replaced")
  check(mt.eom_check(conn, MT_HDRCHANGE, "Subject"), queue_id .. ": Subject not changed")
  check(mt.eom_check(conn, MT_HDRADD, "X-Clearbounce"), queue_id .. ": X-Clearbounce not added")
end

for round = 1, 3 do
  local n = tostring(round)
  -- ordinary mail, accepted at MAIL FROM
  mail_from(conn, "<frank@example.com>", "B1000" .. n, SMFIR_ACCEPT)
  -- a report, rewritten
  rewritten_report("B2000" .. n, "")
  -- null-sender mail that is no report, accepted at end of headers
  mail_from(conn, "<>", "B3000" .. n, SMFIR_CONTINUE)
  send_headers(conn, mail_headers, SMFIR_ACCEPT)
  -- a report with a marker that does not verify: rewritten, marker removed
  rewritten_report("B4000" .. n, "", marked_headers)
  check(mt.eom_check(conn, MT_HDRDELETE, "X-Clearbounce"), "B4000" .. n .. ": the marker was not removed")
  -- and a report again: nothing of the marked one is left over
  rewritten_report("B5000" .. n, "<>")
  check(not mt.eom_check(conn, MT_HDRDELETE), "B5000" .. n .. ": a header was deleted")
end

mt.disconnect(conn)
