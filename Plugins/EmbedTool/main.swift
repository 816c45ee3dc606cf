// The build-time generator behind the EmbedThemes and EmbedBuildInfo plugins.
//
//   EmbedTool themes OUTPUT FILE.theme…   the files as `BuiltinThemes.embedded`, byte for byte
//   EmbedTool buildinfo OUTPUT [GITDIR COMMONDIR]   the checked-out commit as `BuildInfo.commit`
//
// Runs as a build command, so it only reads its inputs and writes OUTPUT (only when the text
// changed, so an unchanged file does not recompile its module).
import Foundation

/// A Swift string literal holding exactly `text`: every byte survives, whatever it is.
func swiftLiteral(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": result += "\\\\"
        case "\"": result += "\\\""
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case " "..."~": result.unicodeScalars.append(scalar)
        default: result += "\\u{\(String(scalar.value, radix: 16))}"
        }
    }
    return result + "\""
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("EmbedTool: \(message)\n".utf8))
    exit(1)
}

func writeIfChanged(_ text: String, to path: String) {
    if let old = try? String(contentsOfFile: path, encoding: .utf8), old == text { return }
    do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
        fail("cannot write \(path): \(error)")
    }
}

func themes(output: String, files: [String]) {
    var entries: [(name: String, text: String)] = []
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else {
            fail("cannot read \(file)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            fail("\(file) is not UTF-8")
        }
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        entries.append((name, text))
    }
    entries.sort { $0.name < $1.name }
    for required in ["default", "monochrome"]
    where !entries.contains(where: { $0.name == required }) {
        fail("themes/\(required).theme is missing; upmon needs it built in")
    }
    var source = """
        // Generated at build time by the EmbedThemes plugin from themes/*.theme: edit those files.

        extension BuiltinThemes {
            /// Every file in `themes/`, by name (the file name without `.theme`), byte for byte.
            static let embedded: [String: String] = [

        """
    for entry in entries {
        source += "        \(swiftLiteral(entry.name)): \(swiftLiteral(entry.text)),\n"
    }
    source += "    ]\n}\n"
    writeIfChanged(source, to: output)
}

/// The first line of `path`, trimmed; nil when it cannot be read.
func firstLine(_ path: String) -> String? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return text.split(separator: "\n", maxSplits: 1).first.map {
        $0.trimmingCharacters(in: .whitespaces)
    }
}

func isCommitHash(_ text: String) -> Bool {
    text.count >= 40 && text.allSatisfy { $0.isHexDigit }
}

/// The commit HEAD names: detached, a loose ref (worktree or shared), or `packed-refs`.
func headCommit(gitDir: String, commonDir: String) -> String? {
    guard let head = firstLine(gitDir + "/HEAD") else { return nil }
    if isCommitHash(head) { return head }
    guard head.hasPrefix("ref:") else { return nil }
    let ref = head.dropFirst(4).trimmingCharacters(in: .whitespaces)
    for directory in [gitDir, commonDir] {
        if let commit = firstLine(directory + "/" + ref), isCommitHash(commit) { return commit }
    }
    guard let packed = try? String(contentsOfFile: commonDir + "/packed-refs", encoding: .utf8)
    else { return nil }
    for line in packed.split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 1)
        if parts.count == 2, parts[1] == ref, isCommitHash(String(parts[0])) {
            return String(parts[0])
        }
    }
    return nil
}

func buildInfo(output: String, gitDir: String?, commonDir: String?) {
    var commit = "unknown"
    if let gitDir, let commonDir, let full = headCommit(gitDir: gitDir, commonDir: commonDir) {
        commit = String(full.prefix(7))
    }
    let source = """
        // Generated at build time by the EmbedBuildInfo plugin from the checkout's .git.

        enum BuildInfo {
            /// The abbreviated commit the binary was built from, or `unknown` outside a git checkout.
            static let commit = \(swiftLiteral(commit))
        }

        """
    writeIfChanged(source, to: output)
}

let arguments = CommandLine.arguments.dropFirst()
switch (arguments.first, arguments.count) {
case ("themes", 2...):
    themes(output: arguments[2], files: Array(arguments.dropFirst(2)))
case ("buildinfo", 2):
    buildInfo(output: arguments[2], gitDir: nil, commonDir: nil)
case ("buildinfo", 4):
    buildInfo(output: arguments[2], gitDir: arguments[3], commonDir: arguments[4])
default:
    fail("usage: EmbedTool themes OUTPUT FILE… | EmbedTool buildinfo OUTPUT [GITDIR COMMONDIR]")
}
