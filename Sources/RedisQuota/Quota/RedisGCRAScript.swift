/// The GCRA Lua script the limiter runs with EVALSHA (docs/QUOTAS.md), public so operators and
/// benchmarks can load or call exactly what the limiter sends.
public enum RedisGCRAScript {
    /// The script: KEYS[1] = key; ARGV = burst, limit, period ms, cost, [now ms].
    public static let source = """
        -- GCRA: KEYS[1] = key; ARGV = burst, count, period ms, cost, [now ms]
        -- Returns {allowed, remaining, retry_after_ms (-1: cost never fits), reset_after_ms}
        local burst  = tonumber(ARGV[1])
        local count  = tonumber(ARGV[2])
        local period = tonumber(ARGV[3])
        local cost   = tonumber(ARGV[4])
        local now    = tonumber(ARGV[5])
        if not now then
          local t = redis.call('TIME')
          now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local interval  = period / count
        local tolerance = interval * burst
        local increment = interval * cost
        local tat = tonumber(redis.call('GET', KEYS[1]))
        if not tat or tat < now then tat = now end
        local new_tat = tat + increment
        local diff = now - (new_tat - tolerance)
        if diff < 0 then
          local retry = math.ceil(-diff)
          if increment > tolerance then retry = -1 end
          return {0, math.max(0, math.floor((tolerance - (tat - now)) / interval)), retry, math.ceil(tat - now)}
        end
        local reset = new_tat - now
        if cost > 0 then
          redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.max(1, math.ceil(reset)))
        end
        return {1, math.floor((tolerance - reset) / interval), 0, math.ceil(reset)}

        """

    /// The SHA-1 of `source`'s exact bytes, as EVALSHA needs it; a test compares it with `SCRIPT LOAD`.
    public static let sha1 = "c8680009006bb23bc37717120e2f53c9b4cb3984"
}
