import DnodeProtocol
import TerminalUI
import Upnode

// The value syntax of config files: durations, counts, numbers, auth arguments, comments,
// and the did-you-mean for unknown keys.

extension UpmonConfig {
    /// `env:NAME` or a JSON literal, separated by spaces (spaces inside JSON strings are fine).
    static func authArguments(_ text: String, file: String, line: Int) throws(ConfigError)
        -> [AuthSpec.Argument]
    {
        var arguments: [AuthSpec.Argument] = []
        for token in splitTokens(text) {
            if token.hasPrefix("env:") {
                let name = String(token.dropFirst(4))
                guard !name.isEmpty else {
                    throw ConfigError(
                        file: file, line: line, message: "auth_args: 'env:' needs a variable name")
                }
                arguments.append(.environment(name))
            } else {
                do {
                    arguments.append(.literal(try JSONValue(parsing: token)))
                } catch {
                    throw ConfigError(
                        file: file, line: line,
                        message:
                            "auth_args: '\(shownInMessage(token))' is neither env:NAME nor JSON (\(error)); quote strings"
                    )
                }
            }
        }
        return arguments
    }

    /// Splits on whitespace outside JSON strings, arrays and objects.
    static func splitTokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        var inString = false
        var escaped = false
        for character in text {
            if inString {
                current.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
                continue
            }
            switch character {
            case "\"":
                inString = true
                current.append(character)
            case "[", "{":
                depth += 1
                current.append(character)
            case "]", "}":
                depth -= 1
                current.append(character)
            case " " where depth == 0, "\t" where depth == 0:
                if !current.isEmpty { tokens.append(current) }
                current = ""
            default: current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    static func number(_ value: String, key: String, file: String, line: Int) throws(ConfigError)
        -> Double
    {
        guard let number = Double(value), number.isFinite, number >= 0 else {
            throw ConfigError(
                file: file, line: line,
                message: "\(key): '\(shownInMessage(value))' is not a non-negative number")
        }
        return number
    }

    /// The largest count a config key takes (`reconnect_max`, `max_queue`).
    static let maxCount = 1_000_000_000

    /// A whole, non-negative count up to `maxCount` (a bigger one would not fit an `Int` or mean anything).
    static func count(_ value: String, key: String, file: String, line: Int) throws(ConfigError)
        -> Int
    {
        let number = try number(value, key: key, file: file, line: line)
        guard number <= Double(maxCount), number == number.rounded(.down) else {
            throw ConfigError(
                file: file, line: line,
                message:
                    "\(key): '\(shownInMessage(value))' is not a whole number from 0 to \(maxCount)"
            )
        }
        return Int(number)
    }

    /// The range of `max_line`: a `methods` line needs a few hundred bytes; past 1 GiB one
    /// line would be most of the machine's memory.
    public static let byteSizeRange = 1 << 10...1 << 30

    /// `16MiB`, `512KiB`, `1GiB` (also `16M`, `512k`, `1G`, binary units) or bare bytes.
    public static func byteSize(_ value: String, key: String, file: String, line: Int)
        throws(ConfigError) -> Int
    {
        let kib = 1024.0
        let units: [(String, Double)] = [
            ("KiB", kib), ("MiB", kib * kib), ("GiB", kib * kib * kib),
            ("k", kib), ("K", kib), ("M", kib * kib), ("G", kib * kib * kib), ("", 1),
        ]
        var bytes: Double?
        for (suffix, scale) in units where value.hasSuffix(suffix) {
            let digits = String(value.dropLast(suffix.count)).trimmingWhitespace()
            if let number = Double(digits), number.isFinite, number >= 0 {
                bytes = (number * scale).rounded()
                break
            }
        }
        let range = byteSizeRange
        guard let bytes, bytes >= Double(range.lowerBound), bytes <= Double(range.upperBound)
        else {
            throw ConfigError(
                file: file, line: line,
                message: "\(key): '\(shownInMessage(value))' is not a size from 1KiB to 1GiB "
                    + "(like 16MiB, 512KiB or a number of bytes)")
        }
        return Int(bytes)
    }

    /// The longest duration a key takes: 30 days (longer ones would overflow timers).
    public static let maxDurationSeconds = 30.0 * 86_400

    /// `800ms`, `1s`, `1.5s`, `2m`, or a bare number of seconds.
    public static func duration(_ value: String, key: String, file: String, line: Int)
        throws(ConfigError) -> Duration
    {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var seconds: Double?
        for (suffix, scale) in units where value.hasSuffix(suffix) {
            if let number = Double(value.dropLast(suffix.count)), number.isFinite, number >= 0 {
                seconds = number * scale
                break
            }
        }
        if seconds == nil, let number = Double(value), number.isFinite, number >= 0 {
            seconds = number
        }
        guard let seconds else {
            throw ConfigError(
                file: file, line: line,
                message: "\(key): '\(shownInMessage(value))' is not a duration (like 800ms, 1s, 2m)"
            )
        }
        guard seconds <= maxDurationSeconds else {
            throw ConfigError(
                file: file, line: line,
                message: "\(key): '\(shownInMessage(value))' is longer than 30 days")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    static func stripComment(_ line: String) -> String {
        // '#' starts a comment at the start of a line, or after whitespace and before whitespace/end.
        let characters = Array(line)
        for index in characters.indices where characters[index] == "#" {
            let before = index == 0 || characters[index - 1] == " " || characters[index - 1] == "\t"
            let after =
                index + 1 == characters.count || characters[index + 1] == " "
                || characters[index + 1] == "\t"
            let firstNonBlank = characters[..<index].allSatisfy { $0 == " " || $0 == "\t" }
            if firstNonBlank || (before && after) { return String(characters[..<index]) }
        }
        return line
    }

    static func unknownKeyMessage(_ key: String, known: [String], inSection: Bool) -> String {
        // A key far longer than any known one is no typo of one (and the distance is O(n·m)).
        let suggestion =
            key.count > 40 ? nil : known.min { editDistance($0, key) < editDistance($1, key) }
        let hint =
            suggestion.flatMap { editDistance($0, key) <= 2 ? " (did you mean '\($0)'?)" : nil }
            ?? ""
        let shown = shownInMessage(key)
        return inSection
            ? "unknown key '\(shown)'\(hint)"
            : "unknown setting '\(shown)'\(hint); connection keys go under a [name] section"
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" || first == "\r" {
            slice.removeFirst()
        }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" {
            slice.removeLast()
        }
        return String(slice)
    }
}
