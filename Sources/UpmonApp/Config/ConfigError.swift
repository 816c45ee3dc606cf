/// A problem in a config file or a command-line connection, with where it is.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (or "command line").
    public let file: String
    /// 1-based line; 0 when there is no line.
    public let line: Int
    public let message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}
