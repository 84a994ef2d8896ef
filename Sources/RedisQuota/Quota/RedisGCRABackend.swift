import NIOCore

/// Runs the GCRA script on Redis: EVALSHA, and EVAL when Redis answers NOSCRIPT (after a restart,
/// a failover or SCRIPT FLUSH). One key per call, so it works unchanged on Redis Cluster.
struct RedisGCRABackend: Sendable {
    let client: RedisClient

    /// Evaluates `cost` against `policy` for `key` before `deadline`.
    ///
    /// `now` (ms) replaces the Redis server clock; only tests pass it.
    func evaluate(
        key: String,
        policy: QuotaPolicy,
        cost: Int,
        deadline: NIODeadline,
        now: Int64? = nil
    ) async throws -> GCRA.Outcome {
        // Bytes, not text: the constant head is encoded once, and each check adds only its key and numbers.
        var arguments = Self.evalSHAHead
        arguments.reserveCapacity(Self.evalSHAHead.count + 6)
        arguments.append(Array(key.utf8))
        arguments.append(Self.decimal(Int64(policy.burst)))
        arguments.append(Self.decimal(Int64(policy.limit)))
        arguments.append(Self.decimal(policy.periodMilliseconds))
        arguments.append(Self.decimal(Int64(cost)))
        if let now { arguments.append(Self.decimal(now)) }
        var reply = try await client.send(arguments, timeout: deadline - .now())
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            arguments.replaceSubrange(0..<Self.evalHead.count, with: Self.evalHead)
            reply = try await client.send(arguments, timeout: deadline - .now())
        }
        return try Self.outcome(of: reply)
    }

    /// `EVALSHA <sha1> 1`: the command, the script and the key count.
    private static let evalSHAHead = [Array("EVALSHA".utf8), Array(RedisGCRAScript.sha1.utf8), Array("1".utf8)]
    /// `EVAL <source> 1`, when Redis has lost the script.
    private static let evalHead = [Array("EVAL".utf8), Array(RedisGCRAScript.source.utf8), Array("1".utf8)]

    private static func decimal(_ number: Int64) -> [UInt8] { Array(String(number).utf8) }

    /// Reads `{allowed, remaining, retry_after_ms, reset_after_ms}`; any other reply is an error.
    static func outcome(of reply: RESPValue) throws(RedisClientError) -> GCRA.Outcome {
        guard case .array(let elements) = reply, elements.count == 4,
            case .integer(let allowed) = elements[0], allowed == 0 || allowed == 1,
            case .integer(let remainingValue) = elements[1], let remaining = Int(exactly: remainingValue),
            case .integer(let retryValue) = elements[2], let retryAfter = Int(exactly: retryValue),
            case .integer(let resetValue) = elements[3], let resetAfter = Int(exactly: resetValue)
        else {
            throw .unexpectedReply("the GCRA script returned \(reply)")
        }
        return GCRA.Outcome(
            isAllowed: allowed == 1,
            remaining: remaining,
            retryAfterMilliseconds: retryAfter,
            resetAfterMilliseconds: resetAfter,
            newTAT: nil
        )
    }
}
