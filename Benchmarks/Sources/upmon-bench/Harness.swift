import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Monotonic time in seconds.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty)
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    let index = min(sorted.count - 1, max(0, Int((Double(sorted.count - 1) * p).rounded())))
    return sorted[index]
}

/// Settings shared by every case (`--quick` shortens everything for a smoke run).
struct Settings: Sendable {
    var repetitions = 3
    /// Seconds one timed repetition of a throughput case aims for.
    var targetSeconds = 1.0
    /// A hard cap on one repetition.
    var capSeconds = 5.0
    var quick = false

    init(arguments: [String]) {
        if arguments.contains("--quick") {
            quick = true
            targetSeconds = 0.3
        }
    }
}

/// Read once from the command line; never changes.
let settings = Settings(arguments: CommandLine.arguments)

/// Throughput of `body(n)` (which performs n operations and returns when done):
/// a warm-up that also calibrates n to `targetSeconds`, then `repetitions` timed runs;
/// returns the median ops/s.
func throughput(
    warmup: Int, minOps: Int = 100, maxOps: Int, _ body: (Int) async throws -> Void
) async throws -> Double {
    let t0 = now()
    try await body(warmup)
    let warmRate = Double(warmup) / max(now() - t0, 1e-6)
    let n = max(minOps, min(maxOps, Int(warmRate * settings.targetSeconds)))
    var rates: [Double] = []
    for _ in 0..<settings.repetitions {
        let start = now()
        try await body(n)
        rates.append(Double(n) / (now() - start))
    }
    return median(rates)
}

/// Two throughputs measured alternately (a, b, a, b, …) so that drift in machine load hits both
/// alike; returns the median rate of each and the median of the per-pair ratios b / a.
func pairedThroughput(
    warmup: Int, maxOps: Int, pairs: Int = 5,
    _ a: (Int) async throws -> Void, _ b: (Int) async throws -> Void
) async throws -> (a: Double, b: Double, ratio: Double) {
    func calibrate(_ body: (Int) async throws -> Void) async throws -> Int {
        let t0 = now()
        try await body(warmup)
        let rate = Double(warmup) / max(now() - t0, 1e-6)
        return max(100, min(maxOps, Int(rate * settings.targetSeconds / 2)))
    }
    let na = try await calibrate(a)
    let nb = try await calibrate(b)
    var ratesA: [Double] = []
    var ratesB: [Double] = []
    var ratios: [Double] = []
    for _ in 0..<(settings.quick ? 3 : pairs) {
        var start = now()
        try await a(na)
        let rateA = Double(na) / (now() - start)
        start = now()
        try await b(nb)
        let rateB = Double(nb) / (now() - start)
        ratesA.append(rateA)
        ratesB.append(rateB)
        ratios.append(rateB / rateA)
    }
    return (median(ratesA), median(ratesB), median(ratios))
}

/// Synchronous variant for CPU-bound cases.
func throughputSync(warmup: Int, minOps: Int = 100, maxOps: Int, _ body: (Int) -> Void) -> Double {
    let t0 = now()
    body(warmup)
    let warmRate = Double(warmup) / max(now() - t0, 1e-6)
    let n = max(minOps, min(maxOps, Int(warmRate * settings.targetSeconds)))
    var rates: [Double] = []
    for _ in 0..<settings.repetitions {
        let start = now()
        body(n)
        rates.append(Double(n) / (now() - start))
    }
    return median(rates)
}

/// One printed result line; collected for the summary table.
struct Row: Sendable {
    var caseName: String
    var measure: String
    var value: String
    var baseline: String
    var ratio: String
    var target: String
    var verdict: String
}

let rows = Mutex<[Row]>([])

func fmt(_ value: Double, _ digits: Int = 0) -> String {
    if digits == 0 {
        // thousands separators for big integers
        let n = Int(value.rounded())
        let s = String(abs(n))
        var out = ""
        for (i, ch) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + String(out.reversed())
    }
    var factor = 1.0
    for _ in 0..<digits { factor *= 10 }
    let rounded = (value * factor).rounded() / factor
    var text = "\(rounded)"
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    } else {
        text += "." + String(repeating: "0", count: digits)
    }
    return text
}

func report(
    _ caseName: String, _ measure: String, value: String, baseline: String = "—",
    ratio: String = "—",
    target: String = "—", pass: Bool? = nil
) {
    let verdict = pass.map { $0 ? "met" : "MISSED" } ?? "—"
    let row = Row(
        caseName: caseName, measure: measure, value: value, baseline: baseline, ratio: ratio,
        target: target, verdict: verdict)
    rows.withLock { $0.append(row) }
    print(
        "  \(measure): \(value) | baseline: \(baseline) | ratio: \(ratio) | target: \(target) | \(verdict)"
    )
    fflush(nil)
}

func note(_ text: String) {
    print("    · \(text)")
    fflush(nil)
}

func printTable() {
    let all = rows.withLock { $0 }
    print("\n| case | measure | upmon | baseline (same run) | ratio | target | verdict |")
    print("|---|---|---|---|---|---|---|")
    for r in all {
        print(
            "| \(r.caseName) | \(r.measure) | \(r.value) | \(r.baseline) | \(r.ratio) | \(r.target) | \(r.verdict) |"
        )
    }
}

/// Resident set size of this process in bytes (/proc/self/statm, field 2).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, 255, file) }
    let fields = String(decoding: buffer[..<count], as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
@discardableResult
func raiseFileLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(limit.rlim_cur)
}

/// Swallows values so the optimizer keeps the work.
@inline(never) func blackHole<T>(_ value: T) { _ = value }
