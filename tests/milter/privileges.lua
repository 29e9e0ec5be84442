-- Started as root with milter.user, milter.group and milter.umask (set by
-- the driver): the socket belongs to that user and group with the mode the
-- umask gives, the daemon runs as that user, and it still rewrites.
dofile(samples .. "/common.lua")

local function command_output(command)
  local pipe = assert(io.popen(command))
  local output = pipe:read("a")
  pipe:close()
  return (output:gsub("%s+$", ""))
end

local path = socket:gsub("^unix:", "")
local owner = command_output("stat -c '%U:%G %a' " .. path)
check(owner == "nobody:nogroup 660", "socket: " .. owner .. ", expected nobody:nogroup 660")
local uid = command_output("awk '/^Uid:/ { print $2 }' /proc/" .. daemon_pid .. "/status")
check(uid == command_output("id -u nobody"), "the daemon runs as uid " .. uid)

local conn = connect()
local headers, body = read_message("dsn-mailbox-full.eml")
mail_from(conn, "", "G10001C1200", SMFIR_CONTINUE)
send_headers(conn, headers, SMFIR_CONTINUE)
send_body(conn, body, SMFIR_CONTINUE)
end_of_message(conn)
check(mt.eom_check(conn, MT_BODYCHANGE), "body not replaced")
mt.disconnect(conn)
