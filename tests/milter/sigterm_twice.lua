-- A second SIGTERM while the daemon waits for a message in progress: it
-- stops waiting and exits at once (the message passes unchanged).
dofile(samples .. "/common.lua")

local conn = connect()
local headers, body = read_message("dsn-mailbox-full.eml")
mail_from(conn, "", "F60001C1200", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)

check(os.execute("kill -TERM " .. daemon_pid), "kill -TERM failed")
mt.sleep(0.5)
check(os.execute("kill -0 " .. daemon_pid .. " 2>/dev/null"), "the daemon did not wait for the message in progress")
check(os.execute("kill -TERM " .. daemon_pid), "second kill -TERM failed")
for _ = 1, 40 do
  if not os.execute("kill -0 " .. daemon_pid .. " 2>/dev/null") then break end
  mt.sleep(0.1)
end
check(not os.execute("kill -0 " .. daemon_pid .. " 2>/dev/null"), "the daemon still runs after a second SIGTERM")
