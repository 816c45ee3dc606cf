import Foundation
import TerminalUI
import Testing

@testable import UpmonApp

/// Themes for screen tests.
enum Themes {
    /// Every role plain: text snapshots do not depend on colours.
    static let plain = ResolvedTheme(name: "plain", depth: .truecolor, graph: nil, styles: [:])

    /// One letter per role, for role-map snapshots.
    static let roleLetters: [(role: String, letter: Character)] = [
        ("text", "t"), ("muted", "m"), ("border", "b"), ("title", "T"), ("highlight", "H"),
        ("header", "h"), ("link_up", "U"), ("link_down", "D"), ("link_reconnecting", "R"),
        ("link_connecting", "C"), ("link_unknown", "?"), ("latency_good", "g"),
        ("latency_warn", "w"), ("latency_bad", "x"), ("latency_timeout", "X"),
        ("queue_empty", "e"), ("queue_nonempty", "n"), ("queue_stuck", "s"), ("rpc_ok", "o"),
        ("rpc_error", "E"), ("series1", "1"), ("series2", "2"), ("series3", "3"),
        ("series4", "4"), ("series5", "5"), ("series6", "6"), ("mode_live", "L"),
        ("mode_paused", "P"), ("mode_replay", "Y"), ("recording", "r"), ("error", "!"),
    ]

    /// A theme whose every role has its own foreground colour (palette index = position + 1),
    /// so a cell's role can be read back from its style.
    static let roleMap = ResolvedTheme(
        name: "roles", depth: .palette256, graph: nil,
        styles: Dictionary(
            uniqueKeysWithValues: roleLetters.enumerated().map { index, entry in
                (entry.role, Style(fg: .indexed(UInt8(index + 1))))
            }))

    /// The role letter of a cell drawn with `roleMap` ('.' for unstyled cells).
    static func roleLetter(of style: Style) -> Character {
        guard case .indexed(let index) = style.fg, index >= 1, Int(index) <= roleLetters.count
        else { return "." }
        return roleLetters[Int(index) - 1].letter
    }

    /// The buffer as one letter per cell.
    static func roleMapText(_ buffer: Buffer) -> String {
        (0..<buffer.height).map { y in
            String((0..<buffer.width).map { x in roleLetter(of: buffer[x, y].style) })
        }.joined(separator: "\n")
    }
}

/// Draws `buffer` through the renderer onto a `TestBackend` and returns the screen text,
/// so snapshots show what a terminal would.
func screenText(_ buffer: Buffer) -> String {
    let backend = TestBackend(width: buffer.width, height: buffer.height)
    var renderer = Renderer()
    renderer.render(buffer, on: backend)
    return backend.screenText
}

/// Compares `actual` with `Snapshots/<name>.txt`; `UPMON_UPDATE_SNAPSHOTS=1` rewrites it.
func assertSnapshot(
    _ actual: String, named name: String, filePath: String = #filePath,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        .appendingPathComponent("Snapshots")
    let file = directory.appendingPathComponent(name + ".txt")
    let text = actual + "\n"
    let update = ProcessInfo.processInfo.environment["UPMON_UPDATE_SNAPSHOTS"] == "1"
    guard !update, let expected = try? String(contentsOf: file, encoding: .utf8) else {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            try text.write(to: file, atomically: true, encoding: .utf8)
        } catch {
            Issue.record(
                "could not write snapshot \(file.path): \(error)", sourceLocation: sourceLocation)
        }
        if !update {
            Issue.record(
                "recorded new snapshot \(name); check it and run again",
                sourceLocation: sourceLocation)
        }
        return
    }
    guard expected != text else { return }
    Issue.record(
        Comment(
            rawValue: "snapshot \(name) differs:\n" + lineDiff(expected: expected, actual: text)),
        sourceLocation: sourceLocation)
}

/// A readable line-by-line diff.
func lineDiff(expected: String, actual: String) -> String {
    let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let new = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var out: [String] = []
    for index in 0..<max(old.count, new.count) {
        let a = index < old.count ? String(old[index]) : "<missing>"
        let b = index < new.count ? String(new[index]) : "<missing>"
        if a != b {
            out.append("line \(index + 1):\n  - \(a)\n  + \(b)")
        }
    }
    return out.joined(separator: "\n")
}
