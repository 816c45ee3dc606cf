import Foundation

/// Appends lines to the log file (never stderr while curses owns the screen).
final class FileLog: Sendable {
    let descriptor: Int32

    init?(path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        descriptor = fd
    }

    func write(_ line: String) {
        Platform.writeAll(descriptor, Array("\(SystemFacts.epochMilliseconds()) \(line)\n".utf8))
    }

    deinit { close(descriptor) }
}
