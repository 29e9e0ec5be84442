-- Shared helpers of the clearbounce-milter miltertest scripts. The driver
-- (run_miltertest.sh) defines `socket` (where the daemon listens) and
-- `samples` (this directory) with -D.

-- miltertest has no constants for the modification replies; these are the
-- protocol's letters (libmilter/mfdef.h), for messages only: the checks use
-- mt.eom_check with MT_BODYCHANGE / MT_HDRCHANGE / MT_HDRADD.
SMFIR_ADDHEADER = string.byte("h")
SMFIR_CHGHEADER = string.byte("m")
SMFIR_REPLBODY = string.byte("b")

local reply_names = {}
for name, value in pairs({ SMFIR_CONTINUE = SMFIR_CONTINUE, SMFIR_ACCEPT = SMFIR_ACCEPT,
                           SMFIR_REJECT = SMFIR_REJECT, SMFIR_TEMPFAIL = SMFIR_TEMPFAIL,
                           SMFIR_DISCARD = SMFIR_DISCARD, SMFIR_REPLYCODE = SMFIR_REPLYCODE,
                           SMFIR_SKIP = SMFIR_SKIP }) do
  reply_names[math.tointeger(value) or value] = name
end

function reply_name(reply)
  if reply == nil then return "nil" end
  local key = math.tointeger(reply) or reply
  return reply_names[key] or string.format("'%s' (%s)", string.char(key), tostring(reply))
end

-- Fails the script: miltertest exits non-zero but prints no Lua error, so
-- the message and where it happened go to standard output first.
function fail(message, level)
  local where = debug.getinfo((level or 1) + 2, "Sl")
  local at = where and (where.short_src .. ":" .. where.currentline .. ": ") or ""
  mt.echo("FAIL: " .. at .. message)
  error(message, (level or 1) + 1)
end

function check(condition, message)
  if not condition then fail(message, 1) end
end

-- A miltertest call returns nil on success or an error text.
function ok(result, what)
  if result ~= nil then fail(what .. " failed: " .. tostring(result), 1) end
end

function expect_reply(conn, wanted, what)
  local got = mt.getreply(conn)
  if got ~= wanted then
    fail(string.format("%s: the filter replied %s, expected %s", what, reply_name(got), reply_name(wanted)), 1)
  end
end

function connect()
  mt.set_timeout(20)
  local conn = mt.connect(socket, 40, 0.25)
  check(conn ~= nil, "mt.connect(" .. tostring(socket) .. ") failed")
  -- What clearbounce asks of every MTA.
  check(mt.test_action(conn, SMFIF_CHGBODY), "SMFIF_CHGBODY not requested")
  check(mt.test_action(conn, SMFIF_CHGHDRS), "SMFIF_CHGHDRS not requested")
  check(mt.test_action(conn, SMFIF_ADDHDRS), "SMFIF_ADDHDRS not requested")
  check(mt.test_option(conn, SMFIP_HDR_LEADSPC), "SMFIP_HDR_LEADSPC not requested")
  for _, step in ipairs({ "SMFIP_NOCONNECT", "SMFIP_NOHELO", "SMFIP_NORCPT", "SMFIP_NOUNKNOWN" }) do
    check(mt.test_option(conn, _G[step]), step .. " not requested")
  end
  -- DATA is taken on purpose: Postfix sends the macros of skipped steps
  -- anyway, and unanswered they stall TCP connections (bench/postfix/README.md).
  check(not mt.test_option(conn, SMFIP_NODATA), "SMFIP_NODATA requested: the DATA step must be answered")
  -- Header fields go unanswered: a round trip per field saved for the MTA.
  check(mt.test_option(conn, SMFIP_NR_HDR), "SMFIP_NR_HDR not requested")
  check(not mt.test_option(conn, SMFIP_NOHDRS), "SMFIP_NOHDRS requested: headers are needed")
  check(not mt.test_option(conn, SMFIP_NOBODY), "SMFIP_NOBODY requested: the body is needed")
  return conn
end

-- Reads a sample message: a list of {name, value} header fields and the
-- body with CRLF line ends, as an MTA passes them. Values keep their leading
-- blank (SMFIP_HDR_LEADSPC) and fold with a bare LF, as Postfix sends them.
function read_message(name)
  local file = assert(io.open(samples .. "/" .. name, "rb"))
  local text = file:read("a"):gsub("\r\n", "\n")
  file:close()
  local split = text:find("\n\n", 1, true)
  local head = split and text:sub(1, split) or text
  local body = split and text:sub(split + 2) or ""
  local headers = {}
  for line in head:gmatch("([^\n]*)\n") do
    if line:match("^[ \t]") and #headers > 0 then
      headers[#headers].value = headers[#headers].value .. "\n" .. line
    else
      local field, value = line:match("^([^:]+):(.*)$")
      check(field ~= nil, name .. ": not a header line: " .. line)
      headers[#headers + 1] = { name = field, value = value }
    end
  end
  return headers, (body:gsub("\n", "\r\n"))
end

-- MAIL FROM with the queue id macro, checking the reply.
function mail_from(conn, sender, queue_id, wanted)
  ok(mt.macro(conn, SMFIC_MAIL, "i", queue_id), "mt.macro")
  ok(mt.mailfrom(conn, sender), "mt.mailfrom(" .. sender .. ")")
  expect_reply(conn, wanted, "MAIL FROM " .. sender)
end

-- Sends every header field, then end of headers. The filter does not answer
-- header fields (SMFIP_NR_HDR); miltertest then reports CONTINUE for each.
function send_headers(conn, headers, eoh_reply)
  for _, field in ipairs(headers) do
    ok(mt.header(conn, field.name, field.value), "mt.header(" .. field.name .. ")")
    expect_reply(conn, SMFIR_CONTINUE, "header " .. field.name)
  end
  ok(mt.eoh(conn), "mt.eoh")
  expect_reply(conn, eoh_reply, "end of headers")
end

-- Sends the body in chunks of at most 65535 bytes (MILTER_CHUNK_SIZE). Every
-- chunk but the last is answered with CONTINUE; the last with `last_reply`.
-- Returns the number of chunks sent.
function send_body(conn, body, last_reply)
  local chunk = 65535
  local sent = 0
  local offset = 1
  repeat
    local piece = body:sub(offset, offset + chunk - 1)
    offset = offset + #piece
    ok(mt.bodystring(conn, piece), "mt.bodystring")
    sent = sent + 1
    local got = mt.getreply(conn)
    if got ~= SMFIR_CONTINUE then
      if got ~= last_reply then
        fail(string.format("body chunk %d: the filter replied %s, expected %s", sent, reply_name(got),
                           reply_name(last_reply)), 1)
      end
      return sent
    end
  until offset > #body
  if last_reply ~= SMFIR_CONTINUE then
    fail("body: the filter replied CONTINUE to every chunk, expected " .. reply_name(last_reply), 1)
  end
  return sent
end

-- End of message, expecting ACCEPT (clearbounce never rejects).
function end_of_message(conn)
  ok(mt.eom(conn), "mt.eom")
  expect_reply(conn, SMFIR_ACCEPT, "end of message")
end

-- True when the filter asked for no change at all at end of message.
function unchanged(conn)
  return not mt.eom_check(conn, MT_BODYCHANGE) and not mt.eom_check(conn, MT_HDRCHANGE)
     and not mt.eom_check(conn, MT_HDRADD) and not mt.eom_check(conn, MT_HDRINSERT)
     and not mt.eom_check(conn, MT_HDRDELETE)
end
