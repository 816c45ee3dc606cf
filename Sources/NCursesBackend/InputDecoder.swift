import TerminalUI

/// One thing `wget_wch` returned: a character (`OK`) or a function-key code (`KEY_CODE_YES`).
public enum RawInput: Sendable, Hashable {
    /// A character.
    case character(UInt32)
    /// A function-key code.
    case key(Int32)
}

/// Turns what `wget_wch` returns into `InputEvent`s, including SGR mouse reports. Pure value:
/// the only state is a mouse report read halfway, kept across reads.
///
/// ncurses is told (`define_key`) that `ESC [ <` is the key `mousePrefix`, so it never hands
/// the report's ESC out as the Esc key; the parameters `b;x;y` and the final `M`/`m` then
/// arrive as plain characters, which this decoder collects. A report cut off by anything
/// else (a key, a letter) is dropped and that input decodes as usual, so a half report never
/// swallows a key nor leaves the decoder stuck; its digits and `;` never become keys, even
/// when there are absurdly many (they are counted, not kept, past `maxParameterLength`).
public struct InputDecoder: Sendable {
    /// The function-key codes.
    public let codes: KeyCodes
    /// The code ncurses returns for `ESC [ <`; nil when mouse reporting is off.
    public let mousePrefix: Int32?
    /// The code ncurses returns for `ESC [ M`, the X10 form a terminal without SGR reports
    /// sends instead (three characters follow); nil when mouse reporting is off.
    public let legacyMousePrefix: Int32?
    /// Characters of an X10 report read so far; nil between reports.
    private var legacy: [UInt32]?
    /// Parameter characters of the report being read (digits and `;`); nil between reports.
    private var pending: [UInt8]?
    /// The report being read has more parameter characters than any real one: it is garbage
    /// and ends without an event.
    private var isOverlong = false

    /// Parameter characters a report may have (`255;65535;65535` is 15): a longer one is
    /// garbage and gives no event.
    public static let maxParameterLength = 24

    /// Creates a decoder.
    public init(codes: KeyCodes, mousePrefix: Int32? = nil, legacyMousePrefix: Int32? = nil) {
        self.codes = codes
        self.mousePrefix = mousePrefix
        self.legacyMousePrefix = legacyMousePrefix
    }

    /// True while a mouse report has begun and not ended.
    public var isReadingMouseReport: Bool { pending != nil || legacy != nil }

    /// Decodes one input; returns no event while a mouse report is being read (or when a
    /// malformed one ends), one otherwise.
    public mutating func decode(_ input: RawInput) -> InputEvent? {
        switch input {
        case .key(let code):
            if let mousePrefix, code == mousePrefix {
                pending = []  // a new report; a half one before it is dropped
                isOverlong = false
                legacy = nil
                return nil
            }
            pending = nil
            if let legacyMousePrefix, code == legacyMousePrefix {
                legacy = []
                return nil
            }
            legacy = nil
            return KeyDecoder.decode(key: code, codes: codes)
        case .character(let code):
            if var bytes = legacy {
                // X10: button, column and row, each 32 + the value (column and row 1-based).
                bytes.append(code)
                guard bytes.count == 3 else {
                    legacy = bytes
                    return nil
                }
                legacy = nil
                let button = Int(bytes[0]) - 32
                return MouseEvent(
                    sgrCode: button, column: Int(bytes[1]) - 32, row: Int(bytes[2]) - 32,
                    final: button & 3 == 3 && button & 64 == 0 ? "m" : "M"
                ).map { .mouse($0) }
            }
            guard var parameters = pending else { return KeyDecoder.decode(character: code) }
            switch code {
            case 0x30...0x39, 0x3B:  // 0-9 ;
                if parameters.count < Self.maxParameterLength {
                    parameters.append(UInt8(code))
                    pending = parameters
                } else {
                    isOverlong = true
                }
                return nil
            case 0x4D, 0x6D:  // M m
                pending = nil
                guard !isOverlong else { return nil }
                return Self.mouseEvent(parameters, final: code == 0x4D ? "M" : "m").map {
                    .mouse($0)
                }
            default:
                pending = nil
                return KeyDecoder.decode(character: code)
            }
        }
    }

    /// Decodes every input in order.
    public mutating func decode(_ inputs: [RawInput]) -> [InputEvent] {
        inputs.compactMap { decode($0) }
    }

    /// The event for parameters `b;x;y`, or nil when they are not three numbers in range.
    static func mouseEvent(_ parameters: [UInt8], final: Character) -> MouseEvent? {
        let fields = parameters.split(separator: 0x3B, omittingEmptySubsequences: false)
        guard fields.count == 3 else { return nil }
        var numbers: [Int] = []
        for field in fields {
            // At most 24 characters in all, so at most 24 digits: 6 already exceed any screen.
            guard !field.isEmpty, field.count <= 6 else { return nil }
            numbers.append(field.reduce(0) { $0 * 10 + Int($1 - 0x30) })
        }
        return MouseEvent(sgrCode: numbers[0], column: numbers[1], row: numbers[2], final: final)
    }
}
