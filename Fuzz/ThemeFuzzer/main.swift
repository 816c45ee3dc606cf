// libFuzzer entry point for theme files (Sources/TerminalUI/ThemeParser.swift).
//
// Build and run with `Fuzz/run.sh theme` (it compiles this file into the TerminalUI module,
// which has no dependencies).
//
// One input is the text of a theme file (bytes decoded as UTF-8, invalid sequences replaced,
// as a file read would). It is parsed, then loaded with inheritance where every parent name
// finds the same text again (so `inherits` chains run into the cycle check), and a theme that
// loads is resolved at every colour depth. Beyond "does not crash", it checks that parsing is
// deterministic and that every error names the file and says something.
// No `import TerminalUI`: run.sh compiles this file into that module.

/// Stops the run with a message libFuzzer records as a crash (an invariant broke).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

let parser = ThemeParser(schema: .upmon)
let fallbackMonochrome = try? parser.builtinMonochrome()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let source = ThemeSource(path: "themes/fuzz.theme", text: text)
    let first = Result { () throws(ThemeError) in try parser.parse(source) }
    let second = Result { () throws(ThemeError) in try parser.parse(source) }
    switch (first, second) {
    case (.success(let a), .success(let b)): check(a == b, "parsing is not deterministic")
    case (.failure(let a), .failure(let b)):
        check(a.description == b.description, "errors differ between two parses")
        check(a.description.hasPrefix("themes/fuzz.theme"), "error does not name the file")
        check(!a.message.isEmpty, "empty error message")
    default: check(false, "parsing is not deterministic")
    }
    do {
        let theme = try parser.load(name: "fuzz", source: source) { name in
            ThemeSource(path: "themes/\(name).theme", text: text)
        }
        for depth in [ColorDepth.truecolor, .palette256, .ansi16, .monochrome] {
            for eightColors in [false, true] {
                _ = theme.resolved(
                    depth: depth, monochrome: fallbackMonochrome, eightColors: eightColors)
            }
        }
    } catch {
        check(!error.message.isEmpty, "empty error message")
    }
    return 0
}
