import DnodeProtocol
import OrderedCollections
import Upnode

/// The server side of the benchmarks: `echo(...args, cb)` and the heartbeat's `ping(cb)`.
/// (upmon's own demo server is not part of the Upnode library.)
let echoMethods: UpnodeServer.MethodsFactory = { peer in
    [
        "echo": .function(label: "echo") { arguments in
            guard case .function(let callback)? = arguments.last else { return }
            peer.invoke(callback, Array(arguments.dropLast()))
        },
        "ping": .function(label: "ping") { arguments in
            guard case .function(let callback)? = arguments.last else { return }
            peer.invoke(callback, [])
        },
    ]
}
