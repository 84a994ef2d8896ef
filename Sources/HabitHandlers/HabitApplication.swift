import HabitAPI
public import HabitCore
public import Logging
public import RPCCore

/// HabitCore's application services over one environment, shared by the handlers.
public struct HabitApplication: Sendable {
    let environment: HabitEnvironment
    let habits: HabitCore.HabitService
    let completions: HabitCore.CompletionService
    let characters: HabitCore.CharacterService
    let logger: Logger

    /// The services over `environment`; `logger` receives warnings for failed calls (never payloads).
    public init(environment: HabitEnvironment, logger: Logger) {
        self.environment = environment
        self.habits = HabitCore.HabitService(environment: environment)
        self.completions = HabitCore.CompletionService(environment: environment)
        self.characters = HabitCore.CharacterService(environment: environment)
        self.logger = logger
    }

    /// Every server method of the habit API (habits, completions, character) on these services.
    public var serverMethods: [ServerMethod] {
        HabitHandler(application: self).serverMethods + CompletionHandler(application: self).serverMethods
            + CharacterHandler(application: self).serverMethods
    }

    /// Runs one call for its authenticated user, mapping every error to the wire in one place.
    func call<T: Sendable>(
        _ context: ServerCallContext, _ body: (UserID) async throws -> T
    ) async throws(RPCError) -> T {
        let user = try context.authenticatedUser()
        return try await RPCErrorMapping.mapping(context, logger: logger) { try await body(user) }
    }
}
