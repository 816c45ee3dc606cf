import DnodeProtocol
import TerminalUI
import UpnodeMonitor

/// The call dialog (`c`, docs/ARCHITECTURE.md, "Call dialog"): pick a method, type JSON arguments, send,
/// watch the result.
public struct CallDialogState: Sendable, Equatable {
    /// The dialog's steps.
    public enum Stage: Sendable, Equatable {
        /// Choosing a method.
        case picking
        /// Editing arguments and options.
        case editing
        /// The call went out; the result pane shows `callID`. The form stays editable:
        /// Enter sends again.
        case sent(callID: String)
    }

    /// Fields that take keys while editing; `result` (Enter unfolds, `c` picks another
    /// method) only once a call went out.
    public enum Field: Sendable, Equatable, CaseIterable {
        case arguments, autoCallback, wait, result
    }

    /// The link the call goes to.
    public var conn: ConnectionID
    /// The current step.
    public var stage: Stage = .picking
    /// Method choices (sorted, `upnode.ping`/`ping` last) and the fuzzy query.
    public var picker: ListPickerState
    /// The picked method.
    public var method = ""
    /// The JSON arguments, one line.
    public var arguments = CallDialogState.emptyArguments
    /// Append a `cb` when the arguments hold no `{"$cb": …}`.
    public var autoCallback = true
    /// The `up(timeout:)` limit in seconds, as typed.
    public var wait = TextFieldState(text: "10")
    /// The field keys go to while editing.
    public var field: Field = .arguments
    /// Position while recalling earlier arguments (0 = newest); nil when not recalling.
    public var historyIndex: Int?
    /// Long results are folded after `foldedLines` lines until Enter unfolds them.
    public var isUnfolded = false

    /// The untouched default; the first key typed into it is placed inside the brackets.
    public static let emptyArguments = TextFieldState(text: "[]")

    /// Lines of one invocation shown while folded.
    public static let foldedLines = 20

    /// A dialog for `conn` offering `methods`.
    public init(conn: ConnectionID, methods: [String]) {
        self.conn = conn
        self.picker = ListPickerState(items: CallDialogState.orderedMethods(methods))
    }

    /// Methods sorted by name with the ping methods last.
    public static func orderedMethods(_ methods: [String]) -> [String] {
        func isPing(_ name: String) -> Bool { name == "ping" || name == "upnode.ping" }
        let unique = Array(Set(methods))
        return unique.filter { !isPing($0) }.sorted() + unique.filter(isPing).sorted()
    }

    /// The fields Tab cycles through at this stage.
    public var fields: [Field] {
        if case .sent = stage { return Field.allCases }
        return [.arguments, .autoCallback, .wait]
    }

    /// The method Enter picks: the selected match, else the typed name when nothing matches
    /// (a link not up yet has told no methods; the call queues like `upmon call`).
    public var pickedMethod: String? {
        if let item = picker.selectedItem { return item }
        let typed = picker.query.text.trimmingSpaces()
        return typed.isEmpty ? nil : typed
    }

    /// The wait field in milliseconds (10 s when it does not parse; at most 30 days).
    public var waitMs: Double {
        guard let seconds = Double(String(wait.characters)), seconds.isFinite, seconds >= 0
        else { return 10_000 }
        return min(seconds, UpmonConfig.maxDurationSeconds) * 1000
    }
}

/// Why the arguments are not sendable, with the 1-based column of the problem.
public struct ArgumentsError: Error, Sendable, Equatable {
    /// What is wrong, e.g. `unexpected '3'`.
    public var message: String
    /// 1-based character column of the problem, when known.
    public var column: Int?
    /// `expected ',' or ']' at col 14`.
    public var text: String { column.map { "\(message) at col \($0)" } ?? message }
}

/// Parses the call dialog's argument text: it must be a JSON array.
///
/// Linear in the text length, so validating after every key is cheap enough for pasted
/// text; the view revalidates once per frame rather than once per key.
public func validateArguments(_ text: String) -> Result<JSONValue, ArgumentsError> {
    let bytes = Array(text.utf8)
    do {
        let value = try JSONValue(parsing: bytes)
        guard case .array = value else {
            return .failure(ArgumentsError(message: "arguments must be a JSON array", column: 1))
        }
        return .success(value)
    } catch {
        let column = characterColumn(bytes: bytes, offset: error.offset)
        return .failure(ArgumentsError(message: describe(error.problem), column: column))
    }
}

/// The 1-based character column of a UTF-8 byte offset.
private func characterColumn(bytes: [UInt8], offset: Int) -> Int {
    let clamped = min(max(0, offset), bytes.count)
    // Continuation bytes (10xxxxxx) do not start a character.
    return bytes[..<clamped].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
}

private func describe(_ problem: JSONError.Problem) -> String {
    switch problem {
    case .unexpectedEnd: return "unexpected end"
    case .unexpectedByte(let byte):
        if byte >= 0x21 && byte < 0x7F { return "unexpected '\(Character(Unicode.Scalar(byte)))'" }
        return "unexpected byte 0x" + String(byte, radix: 16)
    case .invalidNumber: return "invalid number"
    case .invalidEscape: return "invalid escape"
    case .invalidUTF8: return "invalid UTF-8"
    case .controlCharacterInString: return "control character in string"
    case .tooDeep(let limit): return "nested deeper than \(limit)"
    case .trailingData: return "unexpected text after the array"
    case .emptyInput: return "empty (use [] for no arguments)"
    }
}

/// Whether `value` holds a `{"$cb": …}` callback placeholder at the top level of the array.
func containsCallbackPlaceholder(_ value: JSONValue) -> Bool {
    guard case .array(let items) = value else { return false }
    return items.contains { $0["$cb"] != nil }
}
