-- wrk script: POST Stripe-signed webhook events, each with a new event id, to
-- the path given by the WEBHOOK_PATH environment variable, signed with
-- WEBHOOK_SECRET: `Stripe-Signature: t=<now>,v1=hex(HMAC-SHA256(secret, "t.body"))`.
-- Pure LuaJIT (wrk's Lua): SHA-256 over the `bit` library, the key's HMAC pads
-- hashed once.

local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local ror, rshift, tobit, tohex = bit.ror, bit.rshift, bit.tobit, bit.tohex
local byte, char, rep, concat = string.byte, string.char, string.rep, table.concat

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
for i = 1, 64 do K[i] = tobit(K[i]) end
local H0 = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 }
for i = 1, 8 do H0[i] = tobit(H0[i]) end

local W = {}

-- One 64-byte block of `s` at offset `at` (0-based) into state `h`.
local function block(h, s, at)
  for i = 1, 16 do
    local a, b, c, d = byte(s, at + i * 4 - 3, at + i * 4)
    W[i] = bor(bit.lshift(a, 24), bit.lshift(b, 16), bit.lshift(c, 8), d)
  end
  for i = 17, 64 do
    local w15, w2 = W[i - 15], W[i - 2]
    local s0 = bxor(ror(w15, 7), ror(w15, 18), rshift(w15, 3))
    local s1 = bxor(ror(w2, 17), ror(w2, 19), rshift(w2, 10))
    W[i] = tobit(W[i - 16] + s0 + W[i - 7] + s1)
  end
  local a, b, c, d, e, f, g, hh = h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
  for i = 1, 64 do
    local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
    local ch = bxor(band(e, f), band(bnot(e), g))
    local t1 = tobit(hh + S1 + ch + K[i] + W[i])
    local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
    local maj = bxor(band(a, b), band(a, c), band(b, c))
    local t2 = tobit(S0 + maj)
    hh, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + t2)
  end
  h[1], h[2], h[3], h[4] = tobit(h[1] + a), tobit(h[2] + b), tobit(h[3] + c), tobit(h[4] + d)
  h[5], h[6], h[7], h[8] = tobit(h[5] + e), tobit(h[6] + f), tobit(h[7] + g), tobit(h[8] + hh)
end

local function be32(n)
  return char(band(rshift(n, 24), 255), band(rshift(n, 16), 255), band(rshift(n, 8), 255), band(n, 255))
end

-- SHA-256 of `msg`, continuing from state `start` after `done` bytes (a
-- multiple of 64) were hashed; returns the 32-byte digest.
local function sha256_from(start, done, msg)
  local h = { start[1], start[2], start[3], start[4], start[5], start[6], start[7], start[8] }
  local bits = (done + #msg) * 8
  local pad = 64 - ((#msg + 9) % 64)
  if pad == 64 then pad = 0 end
  msg = msg .. "\128" .. rep("\0", pad) .. be32(math.floor(bits / 4294967296)) .. be32(bits % 4294967296)
  for at = 0, #msg - 1, 64 do block(h, msg, at) end
  local out = {}
  for i = 1, 8 do out[i] = be32(h[i]) end
  return concat(out)
end

local function xor_pad(key, v)
  local out = {}
  for i = 1, 64 do out[i] = char(bxor(byte(key, i) or 0, v)) end
  return concat(out)
end

-- HMAC-SHA256 with the two pad blocks hashed once for the key.
local function hmac_sha256_for(key)
  if #key > 64 then key = sha256_from(H0, 0, key) end
  local inner = { unpack(H0) }
  block(inner, xor_pad(key, 0x36), 0)
  local outer = { unpack(H0) }
  block(outer, xor_pad(key, 0x5c), 0)
  return function(msg)
    return sha256_from(outer, 64, sha256_from(inner, 64, msg))
  end
end

local function hex(s)
  local out = {}
  for i = 1, #s do out[i] = tohex(byte(s, i), 2) end
  return concat(out)
end

local secret = os.getenv("WEBHOOK_SECRET") or "whsec_bench"
local path = os.getenv("WEBHOOK_PATH") or "/in/bench"
local mac = hmac_sha256_for(secret)
-- A prefix of its own per run, so runs against one store never collide.
math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
local run = tostring(os.time()) .. "_" .. tostring(math.random(1, 1e9))
local n = 0

-- The self-check (`wrk … -s this -- selftest`) compares against a known vector.
function init(args)
  if args[1] == "selftest" then
    local got = hex(hmac_sha256_for("key")("The quick brown fox jumps over the lazy dog"))
    local want = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    assert(got == want, "HMAC-SHA256 self-test failed: " .. got)
  end
end

function request()
  n = n + 1
  local body = '{"id":"evt_' .. run .. '_' .. n .. '","object":"event","type":"checkout.session.completed",'
    .. '"data":{"object":{"client_reference_id":"ord_42","amount_total":1999,"currency":"eur"}}}'
  local t = tostring(os.time())
  local headers = {
    ["Content-Type"] = "application/json",
    ["Stripe-Signature"] = "t=" .. t .. ",v1=" .. hex(mac(t .. "." .. body)),
  }
  return wrk.format("POST", path, headers, body)
end
