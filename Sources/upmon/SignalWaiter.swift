import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Signal handling through dispatch sources, so nothing runs in signal context.
enum SignalWaiter {
    /// Replaces the default action of `signals` and calls `handler` on each arrival.
    /// Keep the returned sources alive for as long as the handling should last.
    static func sources(for signals: [Int32], handler: @escaping @Sendable () -> Void)
        -> [any DispatchSourceSignal]
    {
        let queue = DispatchQueue(label: "upmon.signals")
        let registered = DispatchSemaphore(value: 0)
        let sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler(handler: handler)
            source.setRegistrationHandler { registered.signal() }
            source.resume()
            return source
        }
        // Registration happens later on dispatch's own thread; a signal that arrives before
        // it finds SIG_IGN and is lost, so return only once every source is listening.
        for _ in sources { registered.wait() }
        return sources
    }

    /// Suspends until one of `signals` arrives.
    static func wait(for signals: [Int32]) async {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        let sources = sources(for: signals) { continuation.yield() }
        for await _ in stream { break }
        for source in sources { source.cancel() }
    }
}
