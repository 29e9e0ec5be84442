-- Ordinary mail (a non-null envelope sender) is accepted at MAIL FROM, and
-- null-sender mail that is not a delivery report at end of headers.
dofile(samples .. "/common.lua")

local conn = connect()

-- A sender address: accepted at once, nothing else is looked at.
mail_from(conn, "<frank@example.com>", "2B7F01C05A0", SMFIR_ACCEPT)

-- Null sender, but a plain text message: accepted at end of headers.
local headers = read_message("not-a-report.eml")
mail_from(conn, "<>", "3C8A11C05B1", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_ACCEPT)

-- Also on the non-SMTP path (empty sender, as Postfix passes its own mail).
mail_from(conn, "", "4D9B21C05C2", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_ACCEPT)

mt.disconnect(conn)
