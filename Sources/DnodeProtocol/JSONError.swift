/// Why a JSON text could not be parsed, and where (a byte offset from the start of the line).
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong at ``JSONError/offset``.
    public enum Problem: Sendable, Equatable {
        /// The text ended inside a value (an unclosed string, array or object, or a cut literal).
        case unexpectedEnd
        /// This byte cannot start or continue a value here.
        case unexpectedByte(UInt8)
        /// A number that does not match the JSON grammar (`01`, `1.`, `-`, `1e`).
        case invalidNumber
        /// A backslash escape JSON does not allow (`\x`, or `\u` without four hex digits).
        case invalidEscape
        /// A string's bytes are not valid UTF-8.
        case invalidUTF8
        /// A control character (below 0x20) appears unescaped inside a string.
        case controlCharacterInString(UInt8)
        /// Arrays and objects nest deeper than `limit` (``JSONParser/defaultMaxDepth`` unless set).
        case tooDeep(limit: Int)
        /// Something other than whitespace follows the value.
        case trailingData
        /// The text holds only whitespace.
        case emptyInput
    }

    /// The byte offset of the problem from the start of the text.
    public let offset: Int
    /// What went wrong there.
    public let problem: Problem

    /// Creates an error for `problem` at byte `offset`.
    public init(offset: Int, problem: Problem) {
        self.offset = offset
        self.problem = problem
    }

    public var description: String {
        let what: String
        switch problem {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let byte): what = "unexpected \(Self.describe(byte))"
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence in string"
        case .invalidUTF8: what = "invalid UTF-8 in string"
        case .controlCharacterInString(let byte):
            what = "unescaped control character \(Self.describe(byte)) in string"
        case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
        case .trailingData: what = "unexpected data after the JSON value"
        case .emptyInput: what = "empty line (no JSON value)"
        }
        return "\(what) at byte \(offset)"
    }

    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: false)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
