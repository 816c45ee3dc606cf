/// A problem opening, reading or writing a `.upmon` recording.
///
/// The description names the file (and line, where there is one) and says what to do, in the
/// `FILE:LINE: message` form of docs/RECORDING.md, "Opening a recording".
public struct RecordingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        /// Line 1 is not a JSON object with `"upmon":"recording"`.
        case notARecording
        /// The file has no bytes at all (say, a writer that never got to its header).
        case emptyFile
        /// The whole file is the start of a recording header, cut off before its `\n` (the
        /// writer stopped while writing line 1); `bytes` is how much of it there is.
        case truncatedHeader(bytes: Int)
        /// The header's `version` is one this upmon cannot read.
        case unsupportedVersion(Int)
        /// The file starts with the gzip magic bytes.
        case compressed
        /// The header is a recording header but a required field is wrong.
        case badHeader(String)
        /// The file exists and overwriting was not allowed.
        case alreadyExists
        case cannotCreate(reason: String)
        case cannotRead(reason: String)
        /// A write, flush or close failed; the recording has stopped.
        case writeFailed(reason: String)
    }

    public let file: String
    /// 1-based line number, when the problem is tied to a line.
    public let line: Int?
    public let problem: Problem

    public init(file: String, line: Int? = nil, problem: Problem) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    /// Process exit code for `upmon replay`: 2 for files it refuses, 1 for I/O failures.
    public var exitCode: Int32 {
        switch problem {
        case .notARecording, .emptyFile, .truncatedHeader, .unsupportedVersion, .compressed,
            .badHeader:
            2
        default: 1
        }
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return "\(location): \(message)"
    }

    private var message: String {
        switch problem {
        case .notARecording:
            return "not an upmon recording"
        case .emptyFile:
            return "empty file (0 bytes), not an upmon recording"
        case .truncatedHeader(let count):
            let bytes = count == 1 ? "1 byte" : "\(count) bytes"
            return
                "the header line is truncated (\(bytes), no newline); the file ends inside line 1"
        case .unsupportedVersion(let version) where version > RecordingHeader.formatVersion:
            return "recording format version \(version) is newer than this upmon understands"
                + " (\(RecordingHeader.formatVersion)); upgrade upmon"
        case .unsupportedVersion(let version):
            let readable = RecordingHeader.readableVersions
            return "recording format version \(version) is not supported"
                + " (this upmon reads versions \(readable.lowerBound) to \(readable.upperBound))"
        case .compressed:
            return
                "recording is gzip-compressed; decompress it first (gunzip) and replay the result"
        case .badHeader(let detail):
            return "recording header is damaged: \(detail)"
        case .alreadyExists:
            return "already exists; choose another file name or pass --force to overwrite it"
        case .cannotCreate(let reason):
            return "cannot create recording: \(reason)"
        case .cannotRead(let reason):
            return "cannot read recording: \(reason)"
        case .writeFailed(let reason):
            return "write failed: \(reason); recording stopped"
        }
    }
}

/// Why a line after the header was skipped as damaged (docs/RECORDING.md, "Opening a recording").
public enum LineDamage: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidJSON
    case notAnObject
    case missingTime
    case missingKind
    case unknownConnection(String)
    /// A field the kind requires is missing or has the wrong type.
    case badField(kind: String, field: String)
    /// The final line has no `\n`: the writer stopped mid-line.
    case truncated
    /// `t` is a finite number but further from the start than any recording runs: beyond
    /// `SeekIndex.maxPlausibleTime` (10 years) either way.
    case implausibleTime(Double)

    public var description: String {
        switch self {
        case .invalidJSON: "invalid JSON"
        case .notAnObject: "not a JSON object"
        case .missingTime: "missing or non-numeric t"
        case .missingKind: "missing kind"
        case .unknownConnection(let id): "unknown connection '\(MonitorText.bounded(id))'"
        case .badField(let kind, let field): "\(kind): bad or missing '\(field)'"
        case .truncated: "truncated"
        case .implausibleTime(let t):
            "implausible t \(t) (more than 10 years from the start of the recording)"
        }
    }
}
