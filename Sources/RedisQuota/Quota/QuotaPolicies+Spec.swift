/// Why a quota specification (`HABIT_QUOTA_POLICIES`) could not be read.
public struct QuotaSpecError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}

extension QuotaPolicies {
    /// These policies with the classes named in `spec` replaced, so an operator sets only what differs
    /// from the defaults.
    ///
    /// The format is a comma-separated list of `class=LIMIT/PERIOD[:BURST][@open|closed|local]`, with
    /// PERIOD a whole number followed by `ms`, `s`, `m` or `h`: `write=120/1m:20,read=1200/1m@open`.
    public func overriding(withSpec spec: String) throws(QuotaSpecError) -> QuotaPolicies {
        var policies = self
        for entry in spec.split(separator: ",") {
            let entry = String(entry.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
            if entry.isEmpty { continue }
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw QuotaSpecError(description: "quota policy '\(entry)': expected class=LIMIT/PERIOD[:BURST][@mode]")
            }
            let methodClass = String(entry[..<equals])
            policies.byMethodClass[methodClass] = try QuotaPolicy(spec: entry[entry.index(after: equals)...], entry: entry)
        }
        return policies
    }
}

extension QuotaPolicy {
    /// Parses `LIMIT/PERIOD[:BURST][@open|closed|local]`; `entry` names the whole entry in errors.
    fileprivate init(spec: Substring, entry: String) throws(QuotaSpecError) {
        func failure(_ reason: String) -> QuotaSpecError {
            QuotaSpecError(description: "quota policy '\(entry)': \(reason)")
        }
        var rest = spec
        var mode = BackendFailureMode.local
        if let at = rest.firstIndex(of: "@") {
            switch rest[rest.index(after: at)...] {
            case "open": mode = .failOpen
            case "closed": mode = .failClosed
            case "local": mode = .local
            default: throw failure("the failure mode after @ must be open, closed or local")
            }
            rest = rest[..<at]
        }
        var burst: Int?
        if let colon = rest.firstIndex(of: ":") {
            guard let value = Int(rest[rest.index(after: colon)...]), value > 0 else {
                throw failure("the burst after : must be a whole number above 0")
            }
            burst = value
            rest = rest[..<colon]
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let limit = Int(parts[0]), limit > 0 else {
            throw failure("expected LIMIT/PERIOD with a whole LIMIT above 0")
        }
        guard let period = Self.period(parts[1]) else {
            throw failure("the period must be a whole number above 0 followed by ms, s, m or h")
        }
        self.init(limit: limit, period: period, burst: burst, onBackendFailure: mode)
    }

    private static func period(_ text: Substring) -> Duration? {
        let digits = text.prefix(while: \.isNumber)
        guard let amount = Int64(digits), amount > 0 else { return nil }
        switch text.dropFirst(digits.count) {
        case "ms": return .milliseconds(amount)
        case "s": return .seconds(amount)
        case "m": return .seconds(amount * 60)
        case "h": return .seconds(amount * 3600)
        default: return nil
        }
    }
}
