import Foundation

/// The HS256 signing secret and where it came from; its bytes are never printed (description shows the
/// source only).
public struct JWTSecret: Sendable, CustomStringConvertible {
    /// Where a secret was found, for the startup log.
    public enum Source: Sendable, Equatable {
        /// `HABIT_JWT_SECRET`.
        case environment
        /// `HABIT_JWT_SECRET_FILE` or a configured file path.
        case file(String)
        /// A development secret generated under the data directory.
        case generatedDevelopmentFile(String)
    }

    /// Why no secret could be resolved; messages name paths and variables, never secret values.
    public struct ResolutionError: Error, CustomStringConvertible, Sendable {
        /// What failed.
        public let description: String
    }

    /// The shortest secret accepted: 32 bytes, as RFC 7518 asks for HS256 keys.
    public static let minimumLength = 32
    /// The development secret's file name under the data directory.
    public static let developmentFileName = "dev-jwt-secret"

    /// The secret bytes.
    let bytes: [UInt8]
    /// Where it came from.
    public let source: Source

    /// `source` only, so the secret never reaches a log by accident.
    public var description: String { "JWTSecret(\(source))" }

    /// A secret from bytes; refuses fewer than ``minimumLength``.
    public init(bytes: [UInt8], source: Source) throws(ResolutionError) {
        guard bytes.count >= Self.minimumLength else {
            throw ResolutionError(description: "the JWT secret from \(source) must be at least \(Self.minimumLength) bytes")
        }
        self.bytes = bytes
        self.source = source
    }

    /// Resolves the secret the way the server and the CLI both do: `HABIT_JWT_SECRET`, else the file named
    /// by `HABIT_JWT_SECRET_FILE`, else `<dataDirectory>/dev-jwt-secret`, generated (mode 0600) when
    /// `generateIfMissing` is true.
    public static func resolve(
        environment: [String: String], dataDirectory: String, generateIfMissing: Bool
    ) throws(ResolutionError) -> JWTSecret {
        if let value = environment["HABIT_JWT_SECRET"], !value.isEmpty {
            return try JWTSecret(bytes: Array(value.utf8), source: .environment)
        }
        if let path = environment["HABIT_JWT_SECRET_FILE"], !path.isEmpty {
            return try JWTSecret(bytes: try read(path), source: .file(path))
        }
        let path = (dataDirectory as NSString).appendingPathComponent(developmentFileName)
        if FileManager.default.fileExists(atPath: path) {
            return try JWTSecret(bytes: try read(path), source: .generatedDevelopmentFile(path))
        }
        guard generateIfMissing else {
            throw ResolutionError(
                description:
                    "no JWT secret: set HABIT_JWT_SECRET or HABIT_JWT_SECRET_FILE, or start habit-server once to create \(path)"
            )
        }
        return try generate(at: path, dataDirectory: dataDirectory)
    }

    private static func read(_ path: String) throws(ResolutionError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ResolutionError(description: "cannot read the JWT secret file \(path)")
        }
        var bytes = Array(data)
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") {
            bytes.removeLast()
        }
        return bytes
    }

    private static func generate(at path: String, dataDirectory: String) throws(ResolutionError) -> JWTSecret {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16) }
            .map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            guard
                FileManager.default.createFile(
                    atPath: path, contents: Data((hex + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { throw ResolutionError(description: "cannot create the development JWT secret at \(path)") }
        } catch let error as ResolutionError {
            throw error
        } catch {
            throw ResolutionError(description: "cannot create the data directory \(dataDirectory)")
        }
        return try JWTSecret(bytes: Array(hex.utf8), source: .generatedDevelopmentFile(path))
    }
}
