import Foundation
import ProcessTestSupport
import Testing

/// Every document the code, help texts and README point at is in the repository: a
/// reference like `docs/RECORDING.md, "Keyframes"` names a file that exists and, when it
/// names sections, headings that exist in it. Bare names of the old design notes
/// (`RECORDING.md §7`) are refused: nobody who clones the repo could read them.
@Suite("document references")
struct DocReferenceTests {
    static let scanned = [
        "Sources", "Tests", "Benchmarks/Sources", "Fuzz", "themes", "README.md", "BENCHMARKS.md",
        "docs", ".ci",
    ]
    static let documentNames = [
        "ARCHITECTURE", "PROTOCOL", "RECORDING", "SCREENS", "THEMES", "STYLE",
    ]

    struct Reference: CustomStringConvertible {
        var file: String
        var line: Int
        var document: String
        var sections: [String]
        var description: String { "\(file):\(line): \(document) \(sections)" }
    }

    /// Text files under the scanned paths (this file excluded: it names the patterns).
    static func textFiles() -> [URL] {
        var files: [URL] = []
        let manager = FileManager.default
        for path in scanned {
            let url = packageRoot.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                files.append(url)
                continue
            }
            let walker = manager.enumerator(at: url, includingPropertiesForKeys: nil)
            while let next = walker?.nextObject() as? URL {
                let name = next.lastPathComponent
                guard name != "DocReferenceTests.swift", !next.path.contains("/.build") else {
                    continue
                }
                if ["swift", "md", "sh", "theme", "c", "h", "txt", ""].contains(next.pathExtension)
                    || name == "run"
                {
                    files.append(next)
                }
            }
        }
        return files
    }

    static func references(in text: String, file: String) -> (found: [Reference], bare: [String]) {
        var found: [Reference] = []
        var bare: [String] = []
        // Not preceded by a word character, `/` or `.`: `docs/docs/X.md` does not count.
        let docPattern = /(?:^|[^\w\/.])docs\/([A-Z]+)\.md((?:,? (?:and )?"[^"]+")*)/
        let sectionPattern = /"([^"]+)"/
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            for match in line.matches(of: docPattern) {
                let sections = match.output.2.matches(of: sectionPattern).map {
                    String($0.output.1)
                }
                found.append(
                    Reference(
                        file: file, line: index + 1, document: String(match.output.1),
                        sections: sections))
            }
            // An old-style reference: a document name with a section sign, or `NAME.md` not under docs/.
            for name in documentNames {
                let withSection = line.contains("\(name) §") || line.contains("\(name).md §")
                let outside =
                    line.contains("\(name).md") && !line.contains("docs/\(name).md")
                    || line.contains("docs/docs/")
                if withSection || outside {
                    bare.append(
                        "\(file):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        return (found, bare)
    }

    static func headings(of document: String) -> Set<String>? {
        let url = packageRoot.appendingPathComponent("docs/\(document).md")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        var headings = Set<String>()
        for line in text.split(separator: "\n") where line.hasPrefix("#") {
            headings.insert(line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces))
        }
        return headings
    }

    @Test(
        "every docs/ reference names a file and sections that exist; no reference leaves the repo")
    func referencesResolve() throws {
        var all: [Reference] = []
        var bare: [String] = []
        for url in Self.textFiles() {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            let relative = String(url.path.dropFirst(packageRoot.path.count + 1))
            let (found, old) = Self.references(in: text, file: relative)
            all += found
            bare += old
        }
        #expect(
            bare.isEmpty,
            "references to documents outside the repository:\n\(bare.joined(separator: "\n"))")
        #expect(all.count > 40, "the scan found only \(all.count) references")
        var headingsByDocument: [String: Set<String>?] = [:]
        for reference in all {
            if headingsByDocument[reference.document] == nil {
                headingsByDocument[reference.document] = Self.headings(of: reference.document)
            }
            guard let headings = headingsByDocument[reference.document] ?? nil else {
                Issue.record("\(reference): docs/\(reference.document).md does not exist")
                continue
            }
            for section in reference.sections where !headings.contains(section) {
                Issue.record(
                    "\(reference): no section \"\(section)\" in docs/\(reference.document).md")
            }
        }
    }

    @Test("the three design documents exist")
    func documentsExist() {
        for name in ["ARCHITECTURE", "PROTOCOL", "RECORDING"] {
            #expect(Self.headings(of: name)?.isEmpty == false, "docs/\(name).md")
        }
    }
}
