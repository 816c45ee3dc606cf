import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a server could not listen, in words an operator can act on: what is wrong, where, and
/// what to do about it (`upmon serve`, `--metrics`).
enum ListenFailure {
    /// The message for `error` from listening on `address`; `port` is nil for a unix socket,
    /// `otherPort` says how to choose another one.
    static func message(
        _ error: any Error, address: String, port: Int?, otherPort: String
    ) -> String {
        let what = port.map { "port \($0)" } ?? "socket \(address)"
        switch (error as? IOError)?.errnoCode {
        case EADDRINUSE:
            return "\(what) is already in use (\(address)); stop what listens there or \(otherPort)"
        case EACCES:
            let hint = (port ?? 1024) < 1024 ? " (ports below 1024 need privileges)" : ""
            return "no permission to listen on \(address)\(hint); \(otherPort)"
        case EADDRNOTAVAIL:
            return "cannot listen on \(address): no such address on this machine"
        default:
            return "cannot listen on \(address): \(error)"
        }
    }
}
