import DnodeProtocol
import NIOCore

// What a server's methods need beyond the public API: this package's demo server
// (`UpnodeServe`) schedules delayed replies and streams on the peer's loop.
extension Remote {
    /// The event loop of this remote's connection.
    package var eventLoop: any EventLoop { handle.eventLoop }

    /// On the connection's loop: sends `function(arguments…)` if the connection is still
    /// open, otherwise runs `ifClosed` (so a stream can stop with its connection).
    package func invokeWhileOpen(
        _ function: DnodeFunction, _ arguments: [DnodeValue],
        ifClosed: @escaping @Sendable () -> Void
    ) {
        handle.onLoop { connection in
            guard !connection.isClosed else { return ifClosed() }
            try? connection.send(function, arguments: arguments)
        }
    }
}
