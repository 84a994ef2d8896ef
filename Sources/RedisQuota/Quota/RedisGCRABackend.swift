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
        var arguments = [
            key, String(policy.burst), String(policy.limit), String(policy.periodMilliseconds), String(cost),
        ]
        if let now { arguments.append(String(now)) }
        var reply = try await client.send(
            ["EVALSHA", RedisGCRAScript.sha1, "1"] + arguments, timeout: deadline - .now())
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            reply = try await client.send(
                ["EVAL", RedisGCRAScript.source, "1"] + arguments, timeout: deadline - .now())
        }
        return try Self.outcome(of: reply)
    }

    /// Reads `{allowed, remaining, retry_after_ms, reset_after_ms}`; any other reply is an error.
    static func outcome(of reply: RESPValue) throws(RedisClientError) -> GCRA.Outcome {
        guard case .array(let elements) = reply, elements.count == 4 else {
            throw .unexpectedReply("the GCRA script returned \(reply)")
        }
        var numbers: [Int] = []
        for element in elements {
            guard case .integer(let value) = element, let number = Int(exactly: value) else {
                throw .unexpectedReply("the GCRA script returned \(reply)")
            }
            numbers.append(number)
        }
        guard numbers[0] == 0 || numbers[0] == 1 else {
            throw .unexpectedReply("the GCRA script returned \(reply)")
        }
        return GCRA.Outcome(
            isAllowed: numbers[0] == 1,
            remaining: numbers[1],
            retryAfterMilliseconds: numbers[2],
            resetAfterMilliseconds: numbers[3],
            newTAT: nil
        )
    }
}
