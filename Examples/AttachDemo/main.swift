// upmon-attach-demo: a small service with two upnode clients and a monitor endpoint.
//
//   upmon-attach-demo /tmp/demo.sock billing=127.0.0.1:7001 search=127.0.0.1:7002
//   upmon attach unix:/tmp/demo.sock
//
// Each client calls `add(n, 1)` on its server every 200 ms (`--every MS`) through `up`, so
// calls wait in the transaction queue while a server is down and flush when it is back.
// The endpoint publishes both links; stop the demo with Ctrl-C (SIGINT) or SIGTERM.

import Dispatch
import DnodeProtocol
import Upnode
import UpnodeMonitorEndpoint

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

func say(_ message: String, to fd: Int32 = 1) {
    let bytes = Array("upmon-attach-demo: \(message)\n".utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    say(message, to: 2)
    exit(64)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var every = 200
if let flag = arguments.firstIndex(of: "--every") {
    guard flag + 1 < arguments.count, let ms = Int(arguments[flag + 1]), ms > 0 else {
        fail("--every takes milliseconds")
    }
    every = ms
    arguments.removeSubrange(flag...(flag + 1))
}
guard arguments.count >= 2 else {
    fail("usage: upmon-attach-demo SOCKET NAME=HOST:PORT [NAME=HOST:PORT …] [--every MS]")
}
let socketPath = arguments[0]
var links: [(name: String, endpoint: Endpoint)] = []
for argument in arguments.dropFirst() {
    guard let equals = argument.firstIndex(of: "=") else {
        fail("'\(argument)' is not NAME=HOST:PORT")
    }
    do {
        let endpoint = try Endpoint(parsing: String(argument[argument.index(after: equals)...]))
        links.append((String(argument[..<equals]), endpoint))
    } catch {
        fail("\(argument): \(error)")
    }
}

var configuration = LinkConfiguration()
configuration.pingInterval = .seconds(1)
configuration.pingTimeout = .milliseconds(800)

let endpoint: UpnodeMonitorEndpoint
do {
    endpoint = try await UpnodeMonitorEndpoint(path: socketPath)
} catch {
    fail("\(error)")
}
var clients: [UpnodeClient] = []
for link in links {
    let client = UpnodeClient(endpoint: link.endpoint, configuration: configuration)
    endpoint.register(client, name: link.name)
    client.start()
    clients.append(client)
}
say("\(links.count) links, monitor endpoint at unix:\(socketPath)")

// The app's own traffic: one transaction per link per tick, at most 100 waiting per link.
let traffic = Task {
    var n = 0
    while !Task.isCancelled {
        n += 1
        for client in clients {
            let value = n
            Task {
                _ = try? await client.up(timeout: .seconds(60)) { remote in
                    try await remote.request("add", [.int(Int64(value)), .int(1)])
                }
            }
        }
        try? await Task.sleep(for: .milliseconds(every))
    }
}

// Stop on SIGINT/SIGTERM: close the endpoint (readers get `end`, the socket file goes).
let signalSources = [SIGINT, SIGTERM].map { number in
    signal(number, SIG_IGN)
    return DispatchSource.makeSignalSource(signal: number, queue: .main)
}
let (stop, stopper) = AsyncStream.makeStream(of: Void.self)
for source in signalSources {
    source.setEventHandler { stopper.yield() }
    source.resume()
}
for await _ in stop { break }
traffic.cancel()
await endpoint.close()
for client in clients { client.close() }
say("stopped")
