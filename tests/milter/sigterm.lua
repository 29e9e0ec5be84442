-- SIGTERM while a report is in the middle of its body: the daemon lets that
-- message finish (rewritten as usual), passes new ones unchanged meanwhile,
-- and exits once the message is done.
dofile(samples .. "/common.lua")

local conn = connect()
local headers, body = read_message("dsn-mailbox-full.eml")

mail_from(conn, "", "F40001C1100", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
ok(mt.bodystring(conn, body:sub(1, 800)), "mt.bodystring")
expect_reply(conn, SMFIR_CONTINUE, "first body chunk")

check(os.execute("kill -TERM " .. daemon_pid), "kill -TERM failed")
mt.sleep(1)

-- A new message while stopping: accepted unchanged at MAIL FROM.
local late = connect()
mail_from(late, "", "F50001C1111", SMFIR_ACCEPT)

-- The message in progress is finished.
ok(mt.bodystring(conn, body:sub(801)), "mt.bodystring")
expect_reply(conn, SMFIR_CONTINUE, "second body chunk")
end_of_message(conn)
check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced during shutdown")
check(mt.eom_check(conn, MT_HDRADD, "X-Clearbounce"), "X-Clearbounce not added during shutdown")
-- No mt.disconnect: the daemon exits once the message is done.
