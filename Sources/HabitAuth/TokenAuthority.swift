public import Foundation
import JWTKit

/// The claims a HabitRPC token carries: the user (subject) and the expiry.
struct HabitTokenClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Why a token was refused; the message never contains the token.
public struct TokenRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// A sentence for the UNAUTHENTICATED status.
    public let description: String
}

/// Mints and verifies HS256 tokens with one secret.
public struct TokenAuthority: Sendable {
    private let keys: JWTKeyCollection

    /// An authority over `secret`.
    public init(secret: JWTSecret) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret.bytes), digestAlgorithm: .sha256)
        self.keys = keys
    }

    /// A token for `user` that expires `lifetime` after `now`.
    public func mint(user: String, lifetime: Duration, now: Date = Date()) async throws -> String {
        let seconds = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
        return try await keys.sign(
            HabitTokenClaims(sub: SubjectClaim(value: user), exp: ExpirationClaim(value: now.addingTimeInterval(seconds))))
    }

    /// The subject of a valid, unexpired token signed with this secret.
    public func verify(_ token: String) async throws(TokenRejection) -> String {
        do {
            return try await keys.verify(token, as: HabitTokenClaims.self).sub.value
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw TokenRejection(description: "the bearer token has expired")
        } catch {
            throw TokenRejection(description: "the bearer token is invalid (malformed or wrong signature)")
        }
    }
}
