import ArgumentParser
import Foundation
import HabitAPI
import HabitAuth
import HabitCore
import HabitHandlers
import HabitPostgres
import HabitRollover
import HabitSQLite
import HabitStoreSQL
import Logging
import Metrics
import NIOCore
import Prometheus
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
    @Option(help: "Admin HTTP port serving /health, /ready and /metrics; 0 picks a free one (HABIT_ADMIN_PORT, default 7421).")
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
    @Option(help: "Longest a quota check may add to a call before its policy's failure mode applies (HABIT_QUOTA_CHECK_TIMEOUT_MS, default 25).")
    var quotaCheckTimeoutMs: Int?

    @Option(help: "SQLite file used when HABIT_DATABASE_URL is unset (HABIT_SQLITE_PATH, default <data-dir>/habit.sqlite).")
    var sqlitePath: String?
    @Option(help: "Seconds between readiness probes of the store (HABIT_STORE_PROBE_INTERVAL_SECONDS, default 1).")
    var storeProbeIntervalSeconds: Int?

    func resolve(_ environment: [String: String]) throws -> ServerConfiguration {
        let settings = SettingResolver(environment: environment)
        let levelName = settings.string(logLevel, "HABIT_LOG_LEVEL", default: "info")
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("log level must be one of trace, debug, info, notice, warning, error, critical")
        }
        let dataDirectory = settings.string(dataDir, "HABIT_DATA_DIR", default: "./data")
        var storeEnvironment = environment
        storeEnvironment["HABIT_SQLITE_PATH"] = settings.string(
            sqlitePath, "HABIT_SQLITE_PATH", default: (dataDirectory as NSString).appendingPathComponent("habit.sqlite"))
        let store: StoreConfiguration
        do {
            store = try StoreConfiguration(environment: storeEnvironment)
        } catch {
            throw ValidationError("HABIT_DATABASE_URL: \(error.description)")
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
            dataDirectory: dataDirectory,
            logLevel: level,
            drainSeconds: try settings.integer(drainSeconds, "HABIT_DRAIN_SECONDS", default: 10, range: 0...3600),
            rolloverIntervalSeconds: try settings.integer(
                rolloverIntervalSeconds, "HABIT_ROLLOVER_INTERVAL_SECONDS", default: 60, range: 1...86400),
            store: store,
            storeProbeIntervalSeconds: try settings.integer(
                storeProbeIntervalSeconds, "HABIT_STORE_PROBE_INTERVAL_SECONDS", default: 1, range: 1...60),
            quotaPolicies: policies,
            quotaInstances: try settings.integer(quotaInstances, "HABIT_QUOTA_INSTANCES", default: 1, range: 1...1000),
            quotaCheckTimeoutMilliseconds: try settings.integer(
                quotaCheckTimeoutMs, "HABIT_QUOTA_CHECK_TIMEOUT_MS", default: 25, range: 1...10_000),
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
        let registry = PrometheusCollectorRegistry()
        var metricsFactory = PrometheusMetricsFactory(registry: registry)
        metricsFactory.durationHistogramBuckets[ServerMetricsInterceptor.Label.callDuration] =
            ServerMetricsInterceptor.durationBuckets
        MetricsSystem.bootstrap(metricsFactory)
        do {
            try await serve(configuration, registry: registry, logger: logger)
        } catch let error as JWTSecret.ResolutionError {
            logger.critical("cannot start: \(error.description)")
            throw ExitCode(2)
        }
    }

    private func serve(
        _ configuration: ServerConfiguration, registry: PrometheusCollectorRegistry, logger: Logger
    ) async throws {
        let secret = try JWTSecret.resolve(
            environment: configuration.environment, dataDirectory: configuration.dataDirectory, generateIfMissing: true)
        switch secret.source {
        case .environment: logger.info("JWT secret from HABIT_JWT_SECRET")
        case .file(let path): logger.info("JWT secret from file", metadata: ["path": "\(path)"])
        case .generatedDevelopmentFile(let path):
            logger.warning("using the development JWT secret; set HABIT_JWT_SECRET in production", metadata: ["path": "\(path)"])
        }
        let authority = await TokenAuthority(secret: secret)

        let readiness = ReadinessTracker(board: ServingStatusBoard())
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let store: any SchemaVersionedStore
        let migrate: (@Sendable () async throws -> [Int64])?
        let sqlite: SQLiteHabitStore?
        switch configuration.store {
        case .postgres(let location):
            logger.info("store: PostgreSQL", metadata: ["database.url": "\(location.redactedURL)"])
            let postgres = PostgresHabitStore(configuration: .init(location: location), logger: logger)
            services.append(.init(service: postgres, serviceName: "postgres"))
            (store, migrate, sqlite) = (MeteredStore(postgres), { try await postgres.migrate() }, nil)
        case .sqlite(let path):
            logger.info("store: SQLite", metadata: ["sqlite.path": "\(path)"])
            let opened = try await SQLiteHabitStore.open(path: path, logger: logger)
            (store, migrate, sqlite) = (MeteredStore(opened), nil, opened)
        }
        services.append(
            .init(
                service: StoreMonitor(
                    store: store, migrate: migrate, readiness: readiness,
                    interval: .seconds(configuration.storeProbeIntervalSeconds), logger: logger),
                serviceName: "store-monitor"))
        do {
            try await serveRPC(
                configuration, store: store, services: services, readiness: readiness, authority: authority,
                registry: registry, logger: logger)
        } catch {
            try? await sqlite?.close()
            throw error
        }
        try await sqlite?.close()
        logger.info("habit-server stopped")
    }

    /// Builds the RPC server and the remaining services around `store` and runs the group until shutdown.
    private func serveRPC(
        _ configuration: ServerConfiguration, store: any SchemaVersionedStore,
        services storeServices: [ServiceGroupConfiguration.ServiceConfiguration], readiness: ReadinessTracker,
        authority: TokenAuthority, registry: PrometheusCollectorRegistry, logger: Logger
    ) async throws {
        var services = storeServices
        let environment = HabitEnvironment(store: store)

        var quotaConfiguration = QuotaLimiter.Configuration(policies: configuration.quotaPolicies)
        quotaConfiguration.instanceCount = configuration.quotaInstances
        quotaConfiguration.checkTimeout = .milliseconds(configuration.quotaCheckTimeoutMilliseconds)
        let (limiter, redis) = try QuotaLimiter.fromEnvironment(
            configuration.environment, configuration: quotaConfiguration, logger: logger)

        var rpcConfiguration = RPCServer.Configuration()
        rpcConfiguration.host = configuration.host
        rpcConfiguration.port = configuration.port
        rpcConfiguration.drainGracePeriod = .seconds(Int64(configuration.drainSeconds))
        let application = HabitApplication(environment: environment, logger: logger)
        let methods = application.serverMethods + HealthHandler(board: readiness.board).serverMethods
        let server = try RPCServer(
            configuration: rpcConfiguration,
            methods: methods,
            interceptors: [
                ServerMetricsInterceptor(methods: methods.map(\.descriptor)), CallLoggingInterceptor(logger: logger),
                StartupGateInterceptor(readiness: readiness), AuthInterceptor(authority: authority),
                QuotaInterceptor(limiter: limiter),
            ],
            logger: logger)

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
                    host: configuration.adminHost, port: configuration.adminPort, board: readiness.board,
                    registry: registry, logger: logger),
                serviceName: "admin"))
        services.append(.init(service: RPCServerService(server: server, readiness: readiness), serviceName: "rpc"))
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.gracefulShutdownSignals = [.sigterm, .sigint]
        let group = ServiceGroup(configuration: groupConfiguration)

        try await withThrowingDiscardingTaskGroup { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                let address = try await server.localAddress()
                readiness.update { $0.isListening = true }
                logger.info("habit-server ready", metadata: ["address": "\(address)", "port": "\(address.port ?? 0)"])
            }
        }
    }
}
