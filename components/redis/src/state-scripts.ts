/*
 * Lua scripts of `state.redis`. Layout as in Dapr: one hash per key with the fields `data` (the value's
 * bytes), `version` (an integer incremented by every write; it is the ETag) and `first-write` (set to 0
 * once a write used first-write concurrency). A Dapr sidecar and an Outrigger sidecar can share the data.
 *
 * A script runs atomically, so the ETag check and the write cannot be split by another client.
 * Failures are error replies starting with a tag the store maps to an error class:
 *   ETAG_MISMATCH <operation index>
 */

/**
 * The current version of KEYS[n], or false when the key is missing. A key of another type (a plain string
 * written by something else) counts as missing and is replaced, as Dapr's script does.
 */
const currentVersion = `
local function current(key)
  local version = redis.pcall("HGET", key, "version")
  if type(version) == "table" then return false, true end
  return version, false
end
`;

/**
 * Applies a list of operations all or nothing. Every operation is checked first against the state the
 * earlier operations of the same list leave (so "upsert k, then delete k with the new ETag" works);
 * only when every check passes is anything written. Redis scripts have no rollback, so this order is
 * what makes a transaction atomic.
 *
 * KEYS: one per operation. ARGV: five per operation:
 *   kind ("u" upsert, "d" delete), etag ("" none), data, firstWrite ("1"/"0"), ttl seconds ("0" none).
 * Returns the new versions of the upserts, in order.
 */
export const applyScript = `${currentVersion}
local simulated = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local base = (i - 1) * 5
  local kind, etag, firstWrite = ARGV[base + 1], ARGV[base + 2], ARGV[base + 4]
  local state = simulated[key]
  if state == nil then
    local version, wrongType = current(key)
    state = { version = version, wrongType = wrongType }
  end
  if etag ~= "" then
    if not state.version or state.version ~= etag then
      return redis.error_reply("ETAG_MISMATCH " .. (i - 1))
    end
  elseif kind == "u" and firstWrite == "1" and state.version then
    return redis.error_reply("ETAG_MISMATCH " .. (i - 1))
  end
  if kind == "u" then
    state = { version = tostring((tonumber(state.version) or 0) + 1), wrongType = false }
  else
    state = { version = false, wrongType = false }
  end
  simulated[key] = state
end
local versions = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local base = (i - 1) * 5
  local kind, data, firstWrite, ttl = ARGV[base + 1], ARGV[base + 3], ARGV[base + 4], tonumber(ARGV[base + 5])
  if kind == "u" then
    local kindNow = redis.call("TYPE", key)["ok"]
    if kindNow ~= "hash" and kindNow ~= "none" then redis.call("DEL", key) end
    redis.call("HSET", key, "data", data)
    if firstWrite == "1" then redis.call("HSET", key, "first-write", 0) end
    table.insert(versions, redis.call("HINCRBY", key, "version", 1))
    if ttl > 0 then redis.call("EXPIRE", key, ttl) else redis.call("PERSIST", key) end
  else
    redis.call("DEL", key)
  end
end
return versions
`;

/**
 * Reads a key: { data, version, pttl } for a Dapr hash; for a plain string (written by an old Dapr
 * version or by hand), { value, "", pttl }, as Dapr falls back to GET; nil when missing.
 */
export const getScript = `
local kind = redis.call("TYPE", KEYS[1])["ok"]
if kind == "none" then return nil end
local pttl = redis.call("PTTL", KEYS[1])
if kind == "string" then return { redis.call("GET", KEYS[1]), "", pttl } end
if kind ~= "hash" then return nil end
local fields = redis.call("HMGET", KEYS[1], "data", "version")
if not fields[1] or not fields[2] then return nil end
return { fields[1], fields[2], pttl }
`;
