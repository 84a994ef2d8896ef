import ArgumentParser
import Foundation
import HabitAPI
import HabitAuth
import HabitCore
import HabitCoreTesting
import HabitHandlers
import Logging
import NIOCore
import RedisQuota
import RPCCore
import RPCServer
import ServiceLifecycle
import UnixSignals

/// habit-server: serves the HabitRPC API until SIGTERM or SIGINT, then drains.
@main
struct HabitServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "habit-server",
        abstract: "Serves the HabitRPC API (habits, completions, character, health) over TCP.",
        discussion: "Every option falls back to its HABIT_* environment variable, then to the default in README.md.")

    @Option(help: "Address to listen on (HABIT_HOST, default 127.0.0.1).")
    var host: String?
    @Option(help: "RPC port; 0 picks a free one (HABIT_PORT, default 7420).")
    var port: Int?
    @Option(help: "Address of the admin HTTP port (HABIT_ADMIN_HOST, default 127.0.0.1).")
    var adminHost: String?
    @Option(help: "Admin HTTP port serving /health and /ready; 0 picks a free one (HABIT_ADMIN_PORT, default 7421).")
    var adminPort: Int?
    @Option(help: "Directory for the development secret and local data (HABIT_DATA_DIR, default ./data).")
    var dataDir: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (HABIT_LOG_LEVEL, default info).")
    var logLevel: String?
    @Option(help: "Seconds in-flight calls get to finish on shutdown (HABIT_DRAIN_SECONDS, default 10).")
    var drainSeconds: Int?
    @Option(help: "Seconds between rollover passes (HABIT_ROLLOVER_INTERVAL_SECONDS, default 60).")
    var rolloverIntervalSeconds: Int?
    @Option(help: "Quota classes overriding the defaults, e.g. write=10/1m:5@closed (HABIT_QUOTA_POLICIES).")
    var quotaPolicies: String?
    @Option(help: "Servers sharing the quotas, for the per-process share while Redis is down (HABIT_QUOTA_INSTANCES, default 1).")
    var quotaInstances: Int?

    func resolve(_ environment: [String: String]) throws -> ServerConfiguration {
        let settings = SettingResolver(environment: environment)
        let levelName = settings.string(logLevel, "HABIT_LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("log level must be one of trace, debug, info, notice, warning, error, critical")
        }
        let policies: QuotaPolicies
        do {
            policies = try QuotaPolicies.standard.overriding(
                withSpec: settings.string(quotaPolicies, "HABIT_QUOTA_POLICIES", default: ""))
        } catch {
            throw ValidationError("HABIT_QUOTA_POLICIES: \(error.description)")
        }
        return ServerConfiguration(
            host: settings.string(host, "HABIT_HOST", default: "127.0.0.1"),
            port: try settings.integer(port, "HABIT_PORT", default: 7420, range: 0...65535),
            adminHost: settings.string(adminHost, "HABIT_ADMIN_HOST", default: "127.0.0.1"),
            adminPort: try settings.integer(adminPort, "HABIT_ADMIN_PORT", default: 7421, range: 0...65535),
            dataDirectory: settings.string(dataDir, "HABIT_DATA_DIR", default: "./data"),
            logLevel: level,
            drainSeconds: try settings.integer(drainSeconds, "HABIT_DRAIN_SECONDS", default: 10, range: 0...3600),
            rolloverIntervalSeconds: try settings.integer(
                rolloverIntervalSeconds, "HABIT_ROLLOVER_INTERVAL_SECONDS", default: 60, range: 1...86400),
            quotaPolicies: policies,
            quotaInstances: try settings.integer(quotaInstances, "HABIT_QUOTA_INSTANCES", default: 1, range: 1...1000),
            environment: environment)
    }

    func run() async throws {
        let configuration = try resolve(ProcessInfo.processInfo.environment)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "habit-server")
        do {
            try await serve(configuration, logger: logger)
        } catch let error as JWTSecret.ResolutionError {
            logger.critical("cannot start: \(error.description)")
            throw ExitCode(2)
        }
    }

    private func serve(_ configuration: ServerConfiguration, logger: Logger) async throws {
        let secret = try JWTSecret.resolve(
            environment: configuration.environment, dataDirectory: configuration.dataDirectory, generateIfMissing: true)
        switch secret.source {
        case .environment: logger.info("JWT secret from HABIT_JWT_SECRET")
        case .file(let path): logger.info("JWT secret from file", metadata: ["path": "\(path)"])
        case .generatedDevelopmentFile(let path):
            logger.warning("using the development JWT secret; set HABIT_JWT_SECRET in production", metadata: ["path": "\(path)"])
        }
        let authority = await TokenAuthority(secret: secret)

        logger.warning("persistence is not merged yet: using the in-memory store; data is lost on exit")
        let environment = HabitEnvironment(store: InMemoryHabitStore())
        let board = ServingStatusBoard()

        var quotaConfiguration = QuotaLimiter.Configuration(policies: configuration.quotaPolicies)
        quotaConfiguration.instanceCount = configuration.quotaInstances
        let (limiter, redis) = try QuotaLimiter.fromEnvironment(
            configuration.environment, configuration: quotaConfiguration, logger: logger)

        var rpcConfiguration = RPCServer.Configuration()
        rpcConfiguration.host = configuration.host
        rpcConfiguration.port = configuration.port
        rpcConfiguration.drainGracePeriod = .seconds(Int64(configuration.drainSeconds))
        let application = HabitApplication(environment: environment, logger: logger)
        let server = try RPCServer(
            configuration: rpcConfiguration,
            methods: application.serverMethods + HealthHandler(board: board).serverMethods,
            interceptors: [
                CallLoggingInterceptor(logger: logger), AuthInterceptor(authority: authority),
                QuotaInterceptor(limiter: limiter),
            ],
            logger: logger)

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let redis { services.append(.init(service: RedisClientService(client: redis), serviceName: "redis")) }
        services.append(
            .init(
                service: RolloverWorker(
                    rollover: RolloverService(environment: environment),
                    interval: .seconds(configuration.rolloverIntervalSeconds), logger: logger),
                serviceName: "rollover"))
        services.append(
            .init(
                service: AdminServer(
                    host: configuration.adminHost, port: configuration.adminPort, board: board, logger: logger),
                serviceName: "admin"))
        services.append(.init(service: RPCServerService(server: server, board: board), serviceName: "rpc"))
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.gracefulShutdownSignals = [.sigterm, .sigint]
        let group = ServiceGroup(configuration: groupConfiguration)

        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                let address = try await server.localAddress()
                board.set(.serving)
                logger.info("habit-server ready", metadata: ["address": "\(address)", "port": "\(address.port ?? 0)"])
            }
        }
        logger.info("habit-server stopped")
    }
}
