import DnodeProtocol
import Foundation

/// Parse + print one typical dnode line, ours vs Foundation's JSONSerialization.
func jsonCase() {
    print("json — parse + print a typical message line")
    let lines: [String] = [
        #"{"method":"echo","arguments":[1,"[Function]"],"callbacks":{"7":["1"]},"links":[]}"#,
        #"{"method":7,"arguments":[1],"callbacks":{},"links":[]}"#,
        #"{"method":"add","arguments":[{"user":"alice","tags":["a","b"],"n":12.5,"ok":true,"nested":{"x":null}},"[Function]"],"callbacks":{"12":["1"]},"links":[]}"#,
    ]
    let bytes = lines.map { Array($0.utf8) }
    let data = lines.map { Data($0.utf8) }
    let lineLength = Double(bytes.map(\.count).reduce(0, +)) / Double(bytes.count)
    var out: [UInt8] = []
    out.reserveCapacity(256)

    let ours = throughputSync(warmup: 20_000, maxOps: 5_000_000) { n in
        for i in 0..<n {
            let value = try! JSONParser.parse(bytes[i % 3])
            out.removeAll(keepingCapacity: true)
            JSONPrinter.write(value, into: &out)
        }
        blackHole(out)
    }
    let foundation = throughputSync(warmup: 5_000, maxOps: 2_000_000) { n in
        var total = 0
        for i in 0..<n {
            let object = try! JSONSerialization.jsonObject(with: data[i % 3])
            total &+= try! JSONSerialization.data(withJSONObject: object).count
        }
        blackHole(total)
    }
    report(
        "json", "JSON parse+print lines/s (avg \(Int(lineLength)) B)", value: fmt(ours),
        baseline: "\(fmt(foundation)) (Foundation JSONSerialization)",
        ratio: "\(fmt(ours / foundation, 2))×", target: "faster than Foundation",
        pass: ours > foundation)
    let dnode = throughputSync(warmup: 20_000, maxOps: 5_000_000) { n in
        for i in 0..<n {
            let message = try! DnodeMessage(decoding: bytes[i % 3])
            out.removeAll(keepingCapacity: true)
            message.encode(into: &out)
        }
        blackHole(out)
    }
    report(
        "json", "DnodeMessage decode+encode lines/s", value: fmt(dnode),
        baseline: "\(fmt(ours)) (bare JSON above)",
        ratio: "\(fmt(dnode / ours, 2))×")
}
