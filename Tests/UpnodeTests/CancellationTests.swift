import DnodeProtocol
import ProcessTestSupport
import Testing
import UpnodeServe

@testable import Upnode

private func isCancellation(_ error: any Error) -> Bool { error is CancellationError }

/// No heartbeat: a ping in flight would show in the tables the tests compare.
private func quietConfiguration() -> LinkConfiguration {
    var configuration = testConfiguration()
    configuration.pingInterval = .zero
    return configuration
}

@Suite("Cancellation of transactions and requests", .timeLimit(.minutes(1)))
struct CancellationTests {
    @Test("a task cancelled before up() throws at once and its body never runs")
    func cancelledBeforeUp() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: quietConfiguration())
        client.start()
        defer { client.close() }
        #expect(await eventually { await client.state == .up })
        let ran = Locked(false)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.up { _ in ran.withLock { $0 = true } }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(!ran.value)
        #expect(client.transactions.count == 0)
    }

    @Test("a cancelled queued body leaves the queue, never runs, and the rest run once in order")
    func queuedCancellation() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: quietConfiguration())
        defer { client.close() }
        // Not started: every transaction waits in the queue.
        let ran = Locked<[Int]>([])
        var tasks: [Task<Int, any Error>] = []
        for index in 0..<10 {
            let task = Task {
                try await client.up(timeout: .seconds(30)) { remote in
                    ran.withLock { $0.append(index) }
                    let sum = try await remote.request("add", [.int(Int64(index)), .int(1)])
                    return Int(sum.first?.doubleValue ?? -1)
                }
            }
            tasks.append(task)
            #expect(await eventually { await client.machine.queueStats.depth == index + 1 })
        }
        let cancelled: Set = [0, 3, 4, 9]
        for index in cancelled { tasks[index].cancel() }
        for index in cancelled {
            await #expect(throws: CancellationError.self) { try await tasks[index].value }
        }
        #expect(await eventually { await client.machine.queueStats.depth == 6 })
        #expect(await client.machine.queueStats.cancelled == 4)

        client.start()
        for index in 0..<10 where !cancelled.contains(index) {
            #expect(try await tasks[index].value == index + 1)
        }
        let kept = (0..<10).filter { !cancelled.contains($0) }
        #expect(ran.value == kept)
        #expect(client.transactions.count == 0)
        #expect(await client.machine.queueStats.depth == 0)
    }

    @Test("a cancelled in-flight request throws, frees its slot at once and ignores the answer")
    func inFlightCancellation() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: quietConfiguration())
        client.start()
        defer { client.close() }
        #expect(await eventually { await client.state == .up })
        let idle = try await tables(of: client)

        // The answer comes only after a minute: the cancellation must not wait for it.
        let slow = Task {
            try await client.up { try await $0.request("slow", [.int(60_000)]) }
        }
        #expect(await eventually { (try? await tables(of: client).pendingRequests) == 1 })
        slow.cancel()
        await #expect(throws: CancellationError.self) { try await slow.value }
        #expect(try await tables(of: client) == idle)

        // A late answer: the server holds the callback and answers only after the cancellation,
        // whatever the machine's load. The call that follows proves the late answer arrived
        // (answers come in order on one connection) and changed nothing.
        let held = Locked<[(Remote, DnodeFunction)]>([])
        let holding = try await UpnodeServer.listen(.tcp(host: "127.0.0.1", port: 0)) { peer in
            [
                "held": .function { arguments in
                    guard case .function(let callback) = arguments.last else { return }
                    held.withLock { $0.append((peer, callback)) }
                },
                "echo": .function { arguments in
                    guard case .function(let callback) = arguments.last else { return }
                    peer.invoke(callback, Array(arguments.dropLast()))
                },
            ]
        }
        let lateClient = UpnodeClient(
            endpoint: holding.boundEndpoint, configuration: quietConfiguration())
        lateClient.start()
        defer { lateClient.close() }
        #expect(await eventually { await lateClient.state == .up })
        let lateIdle = try await tables(of: lateClient)
        let late = Task { try await lateClient.up { try await $0.request("held") } }
        #expect(await eventually { held.value.count == 1 })
        late.cancel()
        await #expect(throws: CancellationError.self) { try await late.value }
        for (peer, callback) in held.value { peer.invoke(callback, [.int(1)]) }
        let after = try await lateClient.up { try await $0.request("echo", [.int(2)]) }
        #expect(after.json == [.int(2)])
        #expect(await lateClient.state == .up)
        #expect(try await tables(of: lateClient) == lateIdle)
        await holding.close()
    }

    @Test("cancellation racing with the answer: one outcome each, nothing left behind")
    func racingCancellation() async throws {
        let server = try await serve()
        let client = UpnodeClient(
            endpoint: server.boundEndpoint, configuration: quietConfiguration())
        client.start()
        defer { client.close() }
        #expect(await eventually { await client.state == .up })
        let idle = try await tables(of: client)

        var answered = 0
        var cancelled = 0
        for round in 0..<300 {
            let task = Task {
                try await client.up { try await $0.request("echo", [.int(Int64(round))]) }
            }
            // Cancel at a different point of the request's life each round.
            for _ in 0..<(round % 7) { await Task.yield() }
            task.cancel()
            do {
                let echoed = try await task.value
                #expect(echoed.json == [.int(Int64(round))])
                answered += 1
            } catch {
                #expect(isCancellation(error), "round \(round): \(error)")
                cancelled += 1
            }
        }
        #expect(answered + cancelled == 300)
        #expect(await client.state == .up)
        // Whatever answers are still on their way arrive before this one.
        _ = try await client.up { try await $0.request("echo", [.int(-1)]) }
        #expect(try await tables(of: client) == idle)
        #expect(client.transactions.count == 0)
    }
}
