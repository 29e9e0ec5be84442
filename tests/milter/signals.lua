-- SIGUSR1 reloads the configuration: a message keeps the configuration it
-- started with, the next one gets the new one; a broken file is refused and
-- the running configuration stays. SIGUSR2 logs the counters.
dofile(samples .. "/common.lua")

local function signal(name)
  check(os.execute("kill -" .. name .. " " .. daemon_pid), "kill -" .. name .. " failed")
  mt.sleep(1)  -- the daemon looks for signals four times a second
end

local function append_config(line)
  local file = assert(io.open(config, "a"))
  file:write(line .. "\n")
  file:close()
end

local conn = connect()
local headers, body = read_message("dsn-mailbox-full.eml")

-- Message 1 starts under the first configuration (no dry run) ...
mail_from(conn, "", "F10001C1000", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
-- ... the configuration changes to a dry run in the middle of it ...
append_config("milter.dry_run = true")
signal("USR1")
-- ... and it is still rewritten in full: one message, one configuration.
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_BODYCHANGE), "message 1: body not replaced")
check(mt.eom_check(conn, MT_HDRCHANGE, "Subject"), "message 1: Subject not changed")

-- Message 2: the dry run is in force.
mail_from(conn, "", "F20001C1011", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_HDRADD, "X-Clearbounce"), "message 2: X-Clearbounce not added")
check(not mt.eom_check(conn, MT_BODYCHANGE), "message 2: body replaced in a dry run")

-- A typing mistake in the file: refused, the dry run stays.
append_config("milter.dry_rnu = false")
signal("USR1")
mail_from(conn, "", "F30001C1022", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_HDRADD, "X-Clearbounce"), "message 3: X-Clearbounce not added")
check(not mt.eom_check(conn, MT_BODYCHANGE), "message 3: the refused configuration is in use")

signal("USR2")
mt.disconnect(conn)
