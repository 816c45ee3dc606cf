import TerminalUI
import Upnode

/// `:connect name=endpoint [key=value …]`: one link written as on the command line, with the
/// config file's link keys (docs/ARCHITECTURE.md, "Command line"). Values go through the
/// config file's parsers, so both accept the same values with the same messages.
public enum ConnectCommand {
    /// What errors name as their source.
    static let source = ":connect"

    /// The usage line shown for an empty or unreadable command.
    public static let usage =
        "usage: :connect NAME=ENDPOINT [ping=1s timeout=5s reconnect=1s max_line=16MiB tls=on …]"

    /// The keys `:connect` takes: the config file's link keys but `endpoint` and the tap's
    /// (taps are set up at start).
    public static var keys: [String] {
        UpmonConfig.connectionKeys.filter { $0 != "endpoint" && !UpmonConfig.tapKeys.contains($0) }
    }

    /// Parses the text after `:connect`. `exec:` commands may have spaces: every word up to
    /// the first `key=value` with a link key belongs to the command.
    public static func parse(_ text: String) throws(ConfigError) -> ConnectionSpec {
        let words = UpmonConfig.splitTokens(text)
        guard let first = words.first else { throw error(usage) }
        var endpointWords = [first]
        var rest = words.dropFirst()
        if first.contains("=exec:") || first.hasPrefix("exec:") {
            while let word = rest.first, !isSetting(word) {
                endpointWords.append(word)
                rest = rest.dropFirst()
            }
        }
        var spec: ConnectionSpec
        do {
            spec = try ConnectionSpec(commandLine: endpointWords.joined(separator: " "))
        } catch let problem {
            throw error(problem.message)
        }
        guard first.contains("=") else {
            throw error("give the link a name: :connect NAME=\(first)")
        }
        spec.origin = .interactive
        var seen: Set<String> = []
        for word in rest {
            guard let equals = word.firstIndex(of: "="), equals != word.startIndex else {
                throw error("expected key=value, got '\(shownInMessage(word))'")
            }
            let key = String(word[..<equals])
            let value = String(word[word.index(after: equals)...])
            guard keys.contains(key) else {
                throw error(UpmonConfig.unknownKeyMessage(key, known: keys, inSection: true))
            }
            guard !value.isEmpty else { throw error("'\(key)' has no value") }
            guard seen.insert(key).inserted else { throw error("'\(key)' given twice") }
            do {
                try UpmonConfig.applyConnectionKey(key, value, to: &spec, file: source, line: 0)
            } catch let problem {
                throw error(problem.message)
            }
        }
        if let tls = spec.tls, case .tcp(let host, let port) = spec.endpoint {
            spec.endpoint = .tls(host: host, port: port)
            spec.tls = tls
        }
        if let auth = spec.auth, auth.method.isEmpty { throw error("auth_args needs auth_method") }
        return spec
    }

    static func isSetting(_ word: String) -> Bool {
        guard let equals = word.firstIndex(of: "=") else { return false }
        return keys.contains(String(word[..<equals]))
    }

    static func error(_ message: String) -> ConfigError {
        ConfigError(file: source, line: 0, message: message)
    }
}
