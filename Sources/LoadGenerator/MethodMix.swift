/// A weighted choice among named methods, parsed from a spec such as `GetCharacter=70,CompleteHabit=25,ListHabits=5`.
///
/// Weights are relative (they need not add up to 100); each call draws one method with probability
/// weight / total.
public struct MethodMix: Sendable, Equatable {
    /// One method of the mix and its weight.
    public struct Entry: Sendable, Equatable {
        /// The method's name as the spec gave it.
        public let method: String
        /// Its relative weight, at least 1.
        public let weight: Int
    }

    /// The largest weight one entry may have, so totals never overflow.
    public static let maximumWeight = 1_000_000

    /// The methods in spec order.
    public let entries: [Entry]
    /// Running totals of the weights: entry `i` owns draws `cumulative[i-1]..<cumulative[i]`.
    private let cumulative: [Int]

    /// The sum of all weights.
    public var totalWeight: Int { cumulative.last ?? 0 }

    /// Parses `spec`, accepting only names in `available`.
    public init(parsing spec: String, available: [String]) throws(MixSpecError) {
        let trimmed = spec.trimmingSpaces
        guard !trimmed.isEmpty else {
            throw MixSpecError("the mix is empty; give Method=weight pairs, e.g. \(available.first ?? "Method")=100")
        }
        var entries: [Entry] = []
        for (position, rawEntry) in trimmed.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let text = String(rawEntry).trimmingSpaces
            guard !text.isEmpty else { throw MixSpecError("entry \(position + 1) of the mix is empty") }
            guard let equals = text.firstIndex(of: "=") else {
                throw MixSpecError("entry \"\(text)\" has no \"=weight\" (write \(text)=10)")
            }
            let name = String(text[..<equals]).trimmingSpaces
            let weightText = String(text[text.index(after: equals)...]).trimmingSpaces
            guard !name.isEmpty else { throw MixSpecError("entry \"\(text)\" has no method name") }
            guard available.contains(name) else {
                throw MixSpecError("unknown method \"\(name)\"; the mix accepts \(available.joined(separator: ", "))")
            }
            guard !entries.contains(where: { $0.method == name }) else {
                throw MixSpecError("method \"\(name)\" appears more than once in the mix")
            }
            guard weightText.allSatisfy(\.isASCIIDigit), let weight = Int(weightText),
                (1...Self.maximumWeight).contains(weight)
            else {
                throw MixSpecError(
                    "weight of \"\(name)\" must be a whole number from 1 to \(Self.maximumWeight), "
                        + "got \"\(weightText)\"")
            }
            entries.append(Entry(method: name, weight: weight))
        }
        self.entries = entries
        var running = 0
        self.cumulative = entries.map { entry in
            running += entry.weight
            return running
        }
    }

    /// The entry index that owns `draw`, a number in `0..<totalWeight` (reduced modulo the total otherwise).
    public func entryIndex(forDraw draw: UInt64) -> Int {
        let total = UInt64(totalWeight)
        let point = Int(draw % total)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > point { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Draws an entry index with probability weight / total.
    public func pick(using generator: inout some RandomNumberGenerator) -> Int {
        entryIndex(forDraw: generator.next(upperBound: UInt64(totalWeight)))
    }
}

/// Why a mix spec was rejected; the message names the offending entry and the rule.
public struct MixSpecError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, readable by the person who typed the spec.
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { "invalid --mix: \(message)" }
}

extension String {
    var trimmingSpaces: String {
        let characters = Substring(self).drop(while: { $0 == " " || $0 == "\t" })
        return String(characters.reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
