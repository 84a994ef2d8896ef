import NIOCore
import RPCClient
import RPCCore
import RPCEchoService
import RPCServer
import Testing

@Suite struct CallTests {
    @Test func unaryEchoesOverOneConnection() async throws {
        try await withEchoServer { address, _, _ in
            let connection = try await ClientConnection.connect(to: address)
            let response = try await connection.unary(EchoService.unary, request: payload(42), options: CallOptions())
            #expect(value(response) == 42)
            await connection.close()
        }
    }

    @Test func callsFromTasksOnTheConnectionsEventLoopStayThereAndGetTheirOwnAnswer() async throws {
        try await withEchoServer(configure: { $0.handlerPlacement = .eventLoop }) { address, _, _ in
            let connection = try await ClientConnection.connect(to: address)
            let executor = connection.taskExecutor
            let outcomes = try await withThrowingTaskGroup(of: (answer: UInt32?, stayedOnLoop: Bool).self) { group in
                for index in 0..<300 as Range<UInt32> {
                    group.addTask(executorPreference: executor) {
                        let before = executor.eventLoop.inEventLoop
                        let response = try await connection.unary(EchoService.unary, request: payload(index), options: CallOptions())
                        return (value(response), before && executor.eventLoop.inEventLoop)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.count == 300)
            #expect(Set(outcomes.compactMap(\.answer)) == Set(0..<300))
            #expect(outcomes.allSatisfy { $0.stayedOnLoop })
            await connection.close()
        }
    }

    @Test func thousandsOfConcurrentCallsOnFewConnectionsEachGetTheirOwnAnswer() async throws {
        try await withEchoServer(configure: { $0.settings.maxConcurrentCalls = 1000 }) { address, _, _ in
            var configuration = RPCClient.Configuration(addresses: [address])
            configuration.connectionsPerAddress = 4
            let client = RPCClient(configuration: configuration)
            let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<5000 {
                    group.addTask {
                        // Every tenth call is slow, so answers come back out of order.
                        let method = index % 10 == 0 ? EchoService.slow : EchoService.unary
                        var request = payload(index % 10 == 0 ? 5 : 0)
                        request.writeInteger(UInt32(index))
                        let response = try await client.unary(method, request: request, options: CallOptions())
                        return response.getInteger(at: response.readerIndex + 4, as: UInt32.self) != UInt32(index)
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(mismatches == 0)
            await client.close()
        }
    }

    @Test func aSlowHandlerDoesNotDelayOtherCalls() async throws {
        try await withEchoServer { address, service, _ in
            let connection = try await ClientConnection.connect(to: address)
            // The slow call runs for a minute unless cancelled; the fast calls must finish meanwhile.
            let slow = Task {
                try await connection.unary(EchoService.slow, request: payload(60_000), options: CallOptions())
            }
            try await eventually { service.started == 1 }
            for index in 0..<50 as Range<UInt32> {
                let response = try await connection.unary(EchoService.unary, request: payload(index), options: CallOptions())
                #expect(value(response) == index)
            }
            #expect(service.cancellations == 0, "the slow handler is still running")
            slow.cancel()
            _ = await slow.result
            await connection.close()
        }
    }

    @Test func handlersStartedOnTheEventLoopAnswerAndSuspendingOnesDoNotBlockIt() async throws {
        try await withEchoServer(configure: { $0.handlerPlacement = .eventLoop }) { address, service, _ in
            let connection = try await ClientConnection.connect(to: address)
            let slow = Task {
                try await connection.unary(EchoService.slow, request: payload(60_000), options: CallOptions())
            }
            try await eventually { service.started == 1 }
            for index in 0..<20 as Range<UInt32> {
                let response = try await connection.unary(EchoService.unary, request: payload(index), options: CallOptions())
                #expect(value(response) == index)
            }
            slow.cancel()
            _ = await slow.result
            try await eventually { service.cancellations == 1 }
            await connection.close()
        }
    }

    @Test(arguments: [RPCServer.HandlerPlacement.globalExecutor, .eventLoop])
    func deadlineExceededStopsTheHandler(placement: RPCServer.HandlerPlacement) async throws {
        try await withEchoServer(configure: { $0.handlerPlacement = placement }) { address, service, _ in
            let connection = try await ClientConnection.connect(to: address)
            let error = await #expect(throws: RPCError.self) {
                _ = try await connection.unary(EchoService.slow, request: payload(60_000), options: CallOptions(timeout: .milliseconds(100)))
            }
            #expect(error?.code == .deadlineExceeded)
            try await eventually { service.cancellations == 1 }
            // Handlers that finish without suspending (on the event loop: inside the read, before any
            // deadline timer is armed) answer with their result.
            for index in 0..<50 as Range<UInt32> {
                let response = try await connection.unary(EchoService.unary, request: payload(index), options: CallOptions(timeout: .seconds(30)))
                #expect(value(response) == index)
            }
            #expect(service.cancellations == 1)
            await connection.close()
        }
    }

    @Test(arguments: [RPCServer.HandlerPlacement.globalExecutor, .eventLoop])
    func callbackCallsFromTheEventLoopChainAndEachGetTheirOwnAnswer(placement: RPCServer.HandlerPlacement) async throws {
        try await withEchoServer(configure: { $0.handlerPlacement = placement }) { address, _, _ in
            let connection = try await ClientConnection.connect(to: address)
            let eventLoop = connection.taskExecutor.eventLoop
            // 100 chains of 5 calls: each answer, delivered on the loop, starts the chain's next call
            // from inside the connection's read, as a pipelining load generator does.
            let done = eventLoop.makePromise(of: [UInt32: [UInt32]].self)
            let answers = NIOLoopBoundBox.makeBoxSendingValue([UInt32: [UInt32]](), eventLoop: eventLoop)
            let remaining = NIOLoopBoundBox.makeBoxSendingValue(100, eventLoop: eventLoop)
            @Sendable func call(chain: UInt32, step: UInt32) {
                let sent = chain * 10 + step
                connection.unary(EchoService.unary, request: payload(sent), options: CallOptions()) { result in
                    #expect(eventLoop.inEventLoop)
                    answers.value[chain, default: []].append((try? result.get()).flatMap(value) ?? .max)
                    if step < 4 {
                        call(chain: chain, step: step + 1)
                    } else {
                        remaining.value -= 1
                        if remaining.value == 0 { done.succeed(answers.value) }
                    }
                }
            }
            eventLoop.execute { for chain in 0..<100 as Range<UInt32> { call(chain: chain, step: 0) } }
            let received = try await done.futureResult.get()
            #expect(received.count == 100)
            for (chain, values) in received { #expect(values == (0..<5).map { chain * 10 + $0 }) }

            // Errors arrive the same way: a bad metadata key at once, a deadline from the timer.
            let badKey = try await withCheckedThrowingContinuation { continuation in
                connection.unary(EchoService.unary, request: payload(1), options: CallOptions(metadata: ["Bad Key": .text("x")])) {
                    continuation.resume(returning: $0)
                }
            }
            #expect(failureCode(badKey) == .invalidArgument)
            let late = try await withCheckedThrowingContinuation { continuation in
                connection.unary(EchoService.slow, request: payload(60_000), options: CallOptions(timeout: .milliseconds(50))) {
                    continuation.resume(returning: $0)
                }
            }
            #expect(failureCode(late) == .deadlineExceeded)
            await connection.close()
        }
    }

    @Test func cancellingTheCallingTaskSendsCancelAndStopsTheHandler() async throws {
        try await withEchoServer { address, service, _ in
            let connection = try await ClientConnection.connect(to: address)
            let call = Task {
                try await connection.unary(EchoService.slow, request: payload(60_000), options: CallOptions())
            }
            try await eventually { service.started == 1 }
            call.cancel()
            let result = await call.result
            #expect(throws: RPCError.self) { try result.get() }
            try await eventually { service.cancellations == 1 }
            // The connection still serves calls afterwards.
            let response = try await connection.unary(EchoService.unary, request: payload(7), options: CallOptions())
            #expect(value(response) == 7)
            await connection.close()
        }
    }

    @Test func handlerErrorsMapToStatusesWithoutInternals() async throws {
        try await withEchoServer { address, _, _ in
            let connection = try await ClientConnection.connect(to: address)
            let notFound = await #expect(throws: RPCError.self) {
                _ = try await connection.unary(EchoService.fail, request: ByteBuffer(string: "no such habit"), options: CallOptions())
            }
            #expect(notFound?.code == .notFound)
            #expect(notFound?.message == "no such habit")
            let crash = await #expect(throws: RPCError.self) {
                _ = try await connection.unary(EchoService.crash, request: ByteBuffer(), options: CallOptions())
            }
            #expect(crash?.code == .internalError)
            #expect(crash?.message.contains("hunter2") == false)
            let unknown = MethodDescriptor(service: "test.Echo", method: "Nope", id: MethodDescriptor.id(forFullName: "/test.Echo/Nope"), kind: .unary)
            let unimplemented = await #expect(throws: RPCError.self) {
                _ = try await connection.unary(unknown, request: ByteBuffer(), options: CallOptions())
            }
            #expect(unimplemented?.code == .unimplemented)
            #expect(unimplemented?.isNotProcessed == true)
            await connection.close()
        }
    }

    @Test(arguments: [RPCServer.HandlerPlacement.globalExecutor, .eventLoop])
    func streamingShapesWorkWithFlowControl(placement: RPCServer.HandlerPlacement) async throws {
        try await withEchoServer(configure: { $0.handlerPlacement = placement }) { address, _, _ in
            let connection = try await ClientConnection.connect(to: address)
            // Server streaming: more messages than the initial credit of 16.
            let received = try await connection.streaming(EchoService.count, options: CallOptions(), requests: { writer in
                try await writer.write(payload(100))
            }, responses: { responses in
                var values: [UInt32] = []
                for try await message in responses { values.append(value(message) ?? .max) }
                return values
            })
            #expect(received == Array(0..<100))
            // Client streaming.
            let sum = try await connection.streaming(EchoService.sum, options: CallOptions(), requests: { writer in
                for index in 1...50 { try await writer.write(payload(UInt32(index))) }
            }, responses: { responses in
                var total: UInt32?
                for try await message in responses { total = value(message) }
                return total
            })
            #expect(sum == 1275)
            // Bidirectional.
            let echoed = try await connection.streaming(EchoService.bidi, options: CallOptions(), requests: { writer in
                for index in 0..<40 { try await writer.write(payload(UInt32(index))) }
            }, responses: { responses in
                var values: [UInt32] = []
                for try await message in responses { values.append(value(message) ?? .max) }
                return values
            })
            #expect(echoed == Array(0..<40))
            await connection.close()
        }
    }

    @Test func callsOverTheConcurrencyLimitAreRefusedAtOnceAsNotProcessed() async throws {
        try await withEchoServer(configure: { $0.settings.maxConcurrentCalls = 2 }) { address, service, _ in
            // A raw client that ignores the announced limit: three slow REQUESTs back to back.
            var bytes = clientOpening()
            for callID in 1...3 as ClosedRange<UInt32> {
                bytes += Frame.request(callID: callID, RequestHead(methodID: EchoService.slow.id), message: payload(300), endStream: true).bytes
            }
            bytes += Frame.request(callID: 4, RequestHead(methodID: EchoService.slow.id), message: payload(1), endStream: true).bytes
            let received = try await rawExchangeUntil(address, bytes, responses: 4)
            let responses = received.compactMap { frame -> (UInt32, ResponseStatus, Bool)? in
                if case .response(let callID, let status, let notProcessed, _) = frame { return (callID, status, notProcessed) }
                return nil
            }
            #expect(responses.first?.0 == 3, "the refusal comes first, before the slow calls finish")
            #expect(responses.first?.1.code == RPCError.Code.resourceExhausted.rawValue)
            #expect(responses.first?.2 == true)
            #expect(responses.first?.1.message.contains("2") == true)
            #expect(Set(responses.map(\.0)) == [1, 2, 3, 4])
            _ = service
        }
    }
}

/// Waits until `condition` holds, polling; fails after 10 s.
func eventually(_ condition: () -> Bool) async throws {
    for _ in 0..<1000 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met within 10 s")
}

/// The status code of a failed call's outcome; nil when it succeeded.
private func failureCode(_ result: Result<ByteBuffer, RPCError>) -> RPCError.Code? {
    guard case .failure(let error) = result else { return nil }
    return error.code
}
