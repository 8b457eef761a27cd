// The Lua scripts fleet mode runs on the server: each one is atomic there, so the lease, its fencing token and the
// decisions it guards never race. Documented in docs/fleet.md ("The lease" and "Decisions").

/** KEYS lease, epoch; ARGV node, lease ms. Takes a free lease with a new fencing token; 0 when someone holds it. */
export const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. t, 'PX', ARGV[2])
return t
`;

/** KEYS lease; ARGV value, lease ms. Extends the lease only while it is still ours: 1, else 0. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS lease; ARGV value. Gives the lease up (a clean stop) only while it is ours. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * KEYS lease, stream, bans, meta; ARGV fence ('' = an operator's or a node's own decision, not fenced), stream length,
 * then one wire decision (JSON) each. With a fence, nothing is written unless the lease still holds that value (a
 * decider that lost its lease cannot publish). Each decision is appended to the stream; a ban stands in the bans hash
 * unless the one there lasts longer (permanent is longest; on a tie the smaller id wins: core/fleet/ban-winner.ts);
 * an unban removes the address. Returns the stream ids, or false when fenced out.
 */
export const PUBLISH = `
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local ids = {}
for i = 3, #ARGV do
  local d = cjson.decode(ARGV[i])
  ids[#ids + 1] = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'd', ARGV[i])
  if d.kind == 'ban' then
    local cur = redis.call('HGET', KEYS[3], d.ip)
    local put = true
    if cur then
      local c = cjson.decode(cur)
      local a = (type(d['until']) == 'number') and d['until'] or math.huge
      local b = (type(c['until']) == 'number') and c['until'] or math.huge
      if c.id == d.id then put = false
      elseif a ~= b then put = a > b
      else put = d.id < c.id end
    end
    if put then redis.call('HSET', KEYS[3], d.ip, ARGV[i]) end
  else
    redis.call('HDEL', KEYS[3], d.ip)
  end
end
redis.call('SET', KEYS[4], '1')
return ids
`;
