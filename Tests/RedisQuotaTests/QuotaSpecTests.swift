import RedisQuota
import Testing

@Suite struct QuotaSpecTests {
    @Test func namedClassesAreReplacedAndOthersKept() throws {
        let policies = try QuotaPolicies.standard.overriding(withSpec: " write=3/1h:2@closed , import=50/500ms ")
        #expect(policies.byMethodClass["write"] == QuotaPolicy(limit: 3, period: .seconds(3600), burst: 2, onBackendFailure: .failClosed))
        #expect(policies.byMethodClass["import"] == QuotaPolicy(limit: 50, period: .milliseconds(500)))
        #expect(policies.byMethodClass["read"] == QuotaPolicies.standard.byMethodClass["read"])
        #expect(try QuotaPolicies.standard.overriding(withSpec: "read=10/1m@open").byMethodClass["read"]?.onBackendFailure == .failOpen)
        #expect(try QuotaPolicies.standard.overriding(withSpec: "") == QuotaPolicies.standard)
    }

    @Test(arguments: [
        ("write", "quota policy 'write': expected class=LIMIT/PERIOD[:BURST][@mode]"),
        ("=1/1s", "quota policy '=1/1s': expected class=LIMIT/PERIOD[:BURST][@mode]"),
        ("write=0/1s", "quota policy 'write=0/1s': expected LIMIT/PERIOD with a whole LIMIT above 0"),
        ("write=5", "quota policy 'write=5': expected LIMIT/PERIOD with a whole LIMIT above 0"),
        ("write=5/1d", "quota policy 'write=5/1d': the period must be a whole number above 0 followed by ms, s, m or h"),
        ("write=5/0s", "quota policy 'write=5/0s': the period must be a whole number above 0 followed by ms, s, m or h"),
        ("write=5/1s:x", "quota policy 'write=5/1s:x': the burst after : must be a whole number above 0"),
        ("write=5/1s@maybe", "quota policy 'write=5/1s@maybe': the failure mode after @ must be open, closed or local"),
    ])
    func malformedSpecsNameTheEntryAndTheRule(spec: String, message: String) {
        #expect(throws: QuotaSpecError(description: message)) {
            try QuotaPolicies.standard.overriding(withSpec: spec)
        }
    }
}
