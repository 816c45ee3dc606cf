import Foundation
import ProcessTestSupport
import Testing

/// README.md's "Failure modes" table names, per row, the tests that hold upmon to it. This
/// keeps those names true: a renamed or deleted test fails here instead of leaving the README
/// pointing at nothing.
@Suite("README failure-modes table")
struct FailureModesTableTests {
    /// One reference in a row's Test cell: a backticked suite, type or file, and the quoted
    /// test-name fragments that follow it.
    struct Reference: CustomStringConvertible {
        var name: String
        var fragments: [String] = []
        var description: String { ([name] + fragments.map { "\"\($0)\"" }).joined(separator: " ") }
    }

    /// The Test cells of the table, one per row, as written.
    static func testCells(readme: String) -> [String] {
        var cells: [String] = []
        var inSection = false
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                inSection = line == "## Failure modes"
                continue
            }
            guard inSection, line.hasPrefix("|") else { continue }
            let columns = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst()
                .dropLast()
            guard columns.count == 3, let test = columns.last else { continue }
            let cell = test.trimmingCharacters(in: .whitespaces)
            // The header and the separator.
            if cell == "Test" || cell.allSatisfy({ $0 == "-" || $0 == ":" }) { continue }
            cells.append(cell)
        }
        return cells
    }

    /// `Name` "fragment…" "other…", `Other` → references in order.
    static func references(in cell: String) -> [Reference] {
        var references: [Reference] = []
        var rest = Substring(cell)
        while let open = rest.firstIndex(where: { $0 == "`" || $0 == "\"" }) {
            let quote = rest[open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: quote) else { break }
            let text = String(rest[afterOpen..<close])
            if quote == "`" {
                // A type (`ChaosTests`) or a file (`Fuzz/run.sh`); anything else (`kill -9`) is prose.
                if text.contains("/") || text.wholeMatch(of: #/[A-Za-z_][A-Za-z0-9_.]*/#) != nil {
                    references.append(Reference(name: text))
                }
            } else {
                var fragment = text
                for ellipsis in ["…", "..."] where fragment.hasSuffix(ellipsis) {
                    fragment.removeLast(ellipsis.count)
                }
                if references.isEmpty { references.append(Reference(name: "")) }
                references[references.count - 1].fragments.append(
                    fragment.trimmingCharacters(in: .whitespaces))
            }
            rest = rest[rest.index(after: close)...]
        }
        return references
    }

    /// Every Swift file under Tests/, with its text.
    static func testSources() throws -> [(path: String, text: String)] {
        let tests = packageRoot.appendingPathComponent("Tests")
        guard let walker = FileManager.default.enumerator(atPath: tests.path) else { return [] }
        return try walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
            .map { relative in
                (
                    relative,
                    try String(contentsOf: tests.appendingPathComponent(relative), encoding: .utf8)
                )
            }
    }

    /// The names in `@Test("…")` in `text`.
    static func testNames(in text: String) -> [String] {
        text.matches(of: #/@Test\(\s*"((?:[^"\\]|\\.)*)"/#).map { String($0.output.1) }
    }

    /// The types `text` declares or extends (each part of `A.B`), and its `@Suite("…")` names.
    static func declarations(in text: String) -> (types: Set<String>, suites: [String]) {
        let types = text.matches(
            of: #/(?:struct|class|enum|actor|extension)\s+([A-Za-z_][A-Za-z0-9_.]*)/#
        )
        .flatMap { $0.output.1.split(separator: ".").map(String.init) }
        let suites = text.matches(of: #/@Suite\(\s*"([^"]*)"/#).map { String($0.output.1) }
        return (Set(types), suites)
    }

    /// Whether `text` declares or extends the type `name`, or has a `@Suite("…name…")`.
    static func declares(_ name: String, in text: String) -> Bool {
        let found = declarations(in: text)
        return found.types.contains(name) || found.suites.contains { $0.contains(name) }
    }

    @Test("every test the README's failure-modes table names exists")
    func tableNamesRealTests() throws {
        let readme = try String(
            contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let cells = Self.testCells(readme: readme)
        #expect(cells.count >= 19, "the table shrank or was not found: \(cells.count) rows")
        let sources = try Self.testSources().map { file in
            (
                path: file.path, declared: Self.declarations(in: file.text),
                tests: Self.testNames(in: file.text)
            )
        }
        var checked = 0
        for cell in cells {
            let references = Self.references(in: cell)
            #expect(!references.isEmpty, "a row names no test: \(cell)")
            for reference in references {
                let fragments = reference.fragments.filter { !$0.isEmpty }
                if reference.name.contains("/") {
                    // A script or file in the repository (Fuzz/run.sh); fragments must be in it.
                    let path = packageRoot.appendingPathComponent(reference.name).path
                    let text = (try? String(contentsOfFile: path, encoding: .utf8))
                    #expect(text != nil, "\(reference): no such file")
                    for fragment in fragments {
                        #expect(
                            text?.contains(fragment) == true,
                            "\(reference): '\(fragment)' is not in the file")
                    }
                    checked += 1
                    continue
                }
                // The fragments must name tests of that suite (in a file declaring or extending it).
                let files =
                    reference.name.isEmpty
                    ? sources
                    : sources.filter { file in
                        file.declared.types.contains(reference.name)
                            || file.declared.suites.contains { $0.contains(reference.name) }
                    }
                #expect(
                    !files.isEmpty, "\(reference): no suite or type `\(reference.name)` in Tests/")
                let names = files.flatMap(\.tests)
                for fragment in fragments {
                    #expect(
                        names.contains { $0.contains(fragment) },
                        "\(reference): no @Test(\"…\") containing '\(fragment)' in \(files.map(\.path))"
                    )
                }
                checked += 1
            }
        }
        print("FAILURE MODES: \(cells.count) rows, \(checked) test references checked")
    }

    @Test("the table parser reads names, fragments with … or ..., and files")
    func parser() {
        let references = Self.references(
            in:
                #"`DnodeSessionTests` "bad lines…", `LoopbackTests` "a garbage client...", `Fuzz/run.sh` (100 × `kill -9`)"#
        )
        #expect(references.map(\.name) == ["DnodeSessionTests", "LoopbackTests", "Fuzz/run.sh"])
        #expect(references.map(\.fragments) == [["bad lines"], ["a garbage client"], []])
        let readme =
            "## Failure modes\n\n| a | b | Test |\n|---|---|---|\n| x | y | `A` \"z…\" |\n\n## Next\n| p | q | `B` |\n"
        #expect(Self.testCells(readme: readme) == [#"`A` "z…""#])
        #expect(
            Self.declares(
                "TerminalResilienceTests",
                in: "extension EndToEndTests {\n    struct TerminalResilienceTests {"))
        #expect(Self.declares("Chaos", in: "@Suite(\"Chaos: faults\")"))
        #expect(!Self.declares("Loop", in: "struct LoopbackTests {"))
        #expect(
            Self.testNames(
                in: "@Test(\"a \\\"quoted\\\" name\", arguments: [1])\n@Test(\n \"second\")") == [
                    #"a \"quoted\" name"#, "second",
                ])
    }
}
