import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// upmon-bench [--quick] [case…]   (cases: json echo-seq echo-pipe aging reconnect queue-flush memory reducer frame replay rtt
// backpressure-client tap)
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "__serve" { try await serveChild() }
if arguments.first == "__memory", arguments.count == 3 {
    try await memoryChild(kind: arguments[1], count: Int(arguments[2]) ?? 1_000)
}
arguments.removeAll { $0 == "--quick" }  // read by `settings`

let allCases: [(String, () async throws -> Void)] = [
    ("json", { jsonCase() }),
    ("echo-seq", sequentialCase),
    ("echo-pipe", pipelinedCase),
    ("aging", agingCase),
    ("reconnect", reconnectCase),
    ("queue-flush", { queueFlushCase() }),
    ("memory", memoryCase),
    ("reducer", { reducerCase() }),
    ("frame", { frameCase() }),
    ("replay", { try replayCase() }),
    ("rtt", rttCase),
    ("backpressure-client", backpressureClientCase),
    ("tap", tapCase),
]
if arguments.contains("--help") || arguments.contains("-h") {
    print(
        "usage: upmon-bench [--quick] [case…]\ncases: \(allCases.map(\.0).joined(separator: " "))")
    exit(0)
}
let unknown = arguments.filter { name in !allCases.contains { $0.0 == name } }
guard unknown.isEmpty else {
    print(
        "unknown case(s): \(unknown.joined(separator: " ")); cases: \(allCases.map(\.0).joined(separator: " "))"
    )
    exit(2)
}
let selected = arguments.isEmpty ? allCases : allCases.filter { arguments.contains($0.0) }

var cpu = "unknown CPU"
if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
    let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
{
    cpu =
        line.split(separator: ":", maxSplits: 1).last.map {
            $0.trimmingCharacters(in: .whitespaces)
        } ?? cpu
}
print(
    "upmon-bench — \(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)), \(Date()), \(settings.repetitions) timed repetitions, median"
)
let suiteStart = now()
for (name, body) in selected {
    let start = now()
    do {
        try await body()
    } catch {
        print("  \(name) failed: \(error)")
    }
    print("  (\(name): \(fmt(now() - start, 1)) s)")
}
printTable()
print("\ntotal \(fmt(now() - suiteStart, 1)) s")
