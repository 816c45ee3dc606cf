/// Why a JSON text could not be parsed, and where (a byte offset from the start of the line).
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidNumber
        case invalidEscape
        case invalidUTF8
        case controlCharacterInString(UInt8)
        case tooDeep(limit: Int)
        case trailingData
        case emptyInput
    }

    public let offset: Int
    public let problem: Problem

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
