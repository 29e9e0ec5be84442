-- A report that already carries X-Clearbounce (rewritten by an earlier
-- hop, or looping) is accepted at end of headers and never modified.
dofile(samples .. "/common.lua")

local conn = connect()
local headers, body = read_message("dsn-already-rewritten.eml")

mail_from(conn, "<>", "A02161C0622", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_ACCEPT)

-- An MTA that sends the body anyway: still nothing changes.
local fresh = connect()
mail_from(fresh, "", "A02161C0623", SMFIR_CONTINUE)
local marked = {}
for _, field in ipairs(headers) do
  if field.name ~= "X-Clearbounce" then marked[#marked + 1] = field end
end
marked[#marked + 1] = { name = "x-clearbounce", value = " category=recipient.mailbox_full; locale=de" }
send_headers(fresh, marked, SMFIR_ACCEPT)

mt.disconnect(conn)
mt.disconnect(fresh)
