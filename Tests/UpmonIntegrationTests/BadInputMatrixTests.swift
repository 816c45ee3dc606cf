import Foundation
import ProcessTestSupport
import TerminalUI
import Testing
import UpnodeMonitor

@testable import UpmonApp

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The "bad input everywhere" matrix for files (config, theme, recording) and the command
/// line: every bad input gets an error that names the file (and line) or the argument and
/// says what is wrong; nothing traps. In-process parts read real files in a scratch
/// directory; process-level parts run the real `upmon` (`$UPMON_BIN`) without a terminal.
@Suite("Bad input matrix: config, theme and recording files")
struct BadInputMatrixTests {
    // MARK: Config

    @Test("config: an empty file is a config with no connections, not an error")
    func configEmpty() throws {
        let files = try BadFiles()
        let config = try UpmonConfig.load(path: files.write("empty.conf", []))
        #expect(config.connections.isEmpty && config.theme == nil)
    }

    @Test("config: binary junk (fixed seed) names the file, line and column and says it is binary")
    func configJunk() throws {
        let files = try BadFiles()
        for seed in 0..<8 as Range<UInt64> {
            let path = files.write("junk\(seed).conf", BadBytes.junk(seed: seed, count: 4096))
            let error = try expectConfigError(path)
            #expect(error.file == path && error.line >= 1, "\(error)")
            #expect(error.description.hasPrefix("\(path):\(error.line): config file: "), "\(error)")
            #expect(error.message.contains("binary file"), "\(error)")
        }
        let nul = files.write(
            "nul.conf", Array("theme = default\nlatency_warn_ms = 1\u{0}00\n".utf8))
        #expect(
            try expectConfigError(nul).description
                == "\(nul):2: config file: contains a NUL byte at column 20; is this a binary file?"
        )
        let latin1 = files.write(
            "latin1.conf", Array("[api]\nendpoint = a:1\ntags = caf".utf8) + [0xE9])
        #expect(
            try expectConfigError(latin1).description
                == "\(latin1):3: config file: not UTF-8 text (byte 0xe9 at column 11); is this a binary file?"
        )
    }

    static let validConfig = """
        theme = light
        latency_warn_ms = 100   # warn
        queue_stuck_after = 10s

        [api]
        endpoint = 127.0.0.1:7000
        ping = 1s
        timeout = 800ms
        reconnect = exponential
        auth_method = auth
        auth_args = env:API_USER "two words" {"k":[1,2]}

        [jobs]
        endpoint = unix:/run/jobs.sock
        max_queue = 50
        """

    @Test("config: a valid file cut at every byte parses or names file:line, never traps")
    func configTruncated() throws {
        let bytes = Array(Self.validConfig.utf8)
        var failures = 0
        for cut in 0...bytes.count {
            do {
                _ = try UpmonConfig.parse(
                    String(decoding: bytes[..<cut], as: UTF8.self), file: "cut.conf")
            } catch {
                failures += 1
                #expect(
                    error.description.wholeMatch(of: #/cut\.conf:\d+: .+/#) != nil,
                    "cut at \(cut): \(error)")
            }
        }
        #expect(failures > 0 && failures < bytes.count, "some cuts are valid configs, some are not")
        // And from real files, at a few offsets.
        let files = try BadFiles()
        for cut in [1, 30, 75, 120, 200, bytes.count - 3] {
            let path = files.write("cut\(cut).conf", Array(bytes[..<cut]))
            do {
                _ = try UpmonConfig.load(path: path)
            } catch {
                #expect(error.file == path && error.line > 0, "\(error)")
            }
        }
    }

    @Test("config: a 1 MB line gives a short error naming file:line")
    func configHugeLine() throws {
        let files = try BadFiles()
        let huge = String(repeating: "x", count: 1 << 20)
        let cases: [(String, String)] = [
            (huge, "expected 'key = value', got '\(String(repeating: "x", count: 60))…'"),
            (
                "[api]\nendpoint = a:1\nping = " + String(repeating: "1", count: 1 << 20),
                "ping: '\(String(repeating: "1", count: 60))…' is not a duration (like 800ms, 1s, 2m)"
            ),
            (
                "[api]\nendpoint = a:1\n" + huge + " = 1",
                "unknown key '\(String(repeating: "x", count: 60))…'"
            ),
            (
                "[" + huge + "]\nping = 1s",
                "[\(String(repeating: "x", count: 60))…] has no 'endpoint'"
            ),
            (
                "[api]\nendpoint = " + huge + ":1",
                "endpoint: host name '\(String(repeating: "x", count: 60))…' is 1048576 bytes; a host name is at most 253"
            ),
            (
                "[api]\nendpoint = unix:/" + huge,
                "endpoint: socket path '/\(String(repeating: "x", count: 59))…' is 1048577 bytes; unix socket paths are at most 107"
            ),
        ]
        for (index, (text, message)) in cases.enumerated() {
            let path = files.write("huge\(index).conf", Array(text.utf8))
            let error = try expectConfigError(path)
            #expect(error.file == path && error.line >= 1)
            #expect(error.message.hasPrefix(message), "\(error.message.prefix(200))")
            #expect(error.description.utf8.count < 500, "the message stays short")
        }
    }

    @Test(
        "config: numbers too big for a duration or a count are errors, not traps",
        arguments: [
            ("ping = 1e300s", "ping: '1e300s' is longer than 30 days"),
            ("timeout = 1e400ms", "timeout: '1e400ms' is not a duration (like 800ms, 1s, 2m)"),
            (
                "connect_timeout = 99999999999999999999h",
                "connect_timeout: '99999999999999999999h' is longer than 30 days"
            ),
            ("reconnect = 31d", "reconnect: '31d' is not a duration (like 800ms, 1s, 2m)"),
            ("reconnect = 2592001", "reconnect: '2592001' is longer than 30 days"),
            ("ping = nan", "ping: 'nan' is not a duration (like 800ms, 1s, 2m)"),
            ("ping = -1s", "ping: '-1s' is not a duration (like 800ms, 1s, 2m)"),
            (
                "reconnect_max = 1e300",
                "reconnect_max: '1e300' is not a whole number from 0 to 1000000000"
            ),
            (
                "reconnect_max = 2.5",
                "reconnect_max: '2.5' is not a whole number from 0 to 1000000000"
            ),
            (
                "max_queue = 123456789012345678901234567890",
                "max_queue: '123456789012345678901234567890' is not a whole number from 0 to 1000000000"
            ),
            ("max_queue = -1", "max_queue: '-1' is not a non-negative number"),
        ])
    func configHugeNumbers(line: String, message: String) {
        do {
            _ = try UpmonConfig.parse("[api]\nendpoint = a:1\n" + line, file: "n.conf")
            Issue.record("'\(line)' was accepted")
        } catch {
            #expect(error.description == "n.conf:3: " + message)
        }
        #expect((try? UpmonConfig.parse("latency_warn_ms = 1e400", file: "g.conf")) == nil)
    }

    @Test("config: a directory, a missing file, an unreadable file: each named with what to do")
    func configNotAFile() throws {
        let files = try BadFiles()
        let directory = files.directory("dir.conf")
        #expect(
            try expectConfigError(directory).description
                == "\(directory): config file: is a directory, not a file (give the config file's path with --config or $UPMON_CONFIG)"
        )
        let missing = files.path("missing.conf")
        #expect(
            try expectConfigError(missing).description
                == "\(missing): config file: no such file (give the config file's path with --config or $UPMON_CONFIG)"
        )
        let unreadable = files.unreadable("locked.conf", Array("[api]\nendpoint = a:1\n".utf8))
        if !BadFiles.isRoot {  // root reads any file
            #expect(
                try expectConfigError(unreadable).description
                    == "\(unreadable): config file: permission denied (check the file's mode and owner)"
            )
        }
        #expect(try expectConfigError("/dev/null").description.contains("not a regular file"))
    }

    func expectConfigError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> ConfigError
    {
        switch Result(catching: { () throws(ConfigError) in try UpmonConfig.load(path: path) }) {
        case .failure(let error):
            return error
        case .success(let config):
            Issue.record(
                "\(path) loaded: \(config.connections.count) connections",
                sourceLocation: sourceLocation)
            throw CancellationError()
        }
    }

    // MARK: Themes

    func library(_ files: BadFiles) -> ThemeLibrary {
        ThemeLibrary(themesDir: files.root.path, environment: [:], executableDirectory: nil)
    }

    func expectThemeError(
        _ library: ThemeLibrary, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
    ) -> ThemeError? {
        do {
            _ = try library.load(name)
            Issue.record("theme \(name) loaded", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test("theme: an empty file is the default theme; junk names file:line and says it is binary")
    func themeEmptyAndJunk() throws {
        let files = try BadFiles()
        let library = library(files)
        files.write("empty.theme", [])
        let empty = try library.load("empty")
        let parser = ThemeParser(schema: .upmon)
        #expect(empty.roles == (try parser.builtinDefault()).roles)
        for seed in 0..<8 as Range<UInt64> {
            let path = files.write("junk\(seed).theme", BadBytes.junk(seed: seed, count: 4096))
            for name in ["junk\(seed)", path] {
                guard let error = expectThemeError(library, name) else { continue }
                #expect(error.file == path && error.line >= 1, "\(error)")
                #expect(
                    error.description.hasPrefix("\(path):\(error.line): theme file: "), "\(error)")
                #expect(error.message.contains("binary file"))
            }
        }
    }

    @Test("theme: a shipped theme cut at many offsets loads or names file:line")
    func themeTruncated() throws {
        let files = try BadFiles()
        let library = library(files)
        let bytes = try Array(
            Data(contentsOf: packageRoot.appendingPathComponent("themes/light.theme")))
        var failures = 0
        for cut in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 60)) {
            let path = files.write("cut\(cut).theme", Array(bytes[..<cut]))
            do {
                _ = try library.load(path)
            } catch {
                failures += 1
                #expect(error.file == path && error.line >= 1, "cut at \(cut): \(error)")
                #expect(!error.message.isEmpty)
            }
        }
        #expect(failures > 0)
    }

    @Test("theme: a 1 MB line, a directory, a missing or unreadable file, a bad parent: each named")
    func themeNotAFile() throws {
        let files = try BadFiles()
        let library = library(files)
        let huge = files.write("huge.theme", Array(repeating: UInt8(ascii: "x"), count: 1 << 20))
        let hugeError = expectThemeError(library, huge)
        #expect(
            hugeError?.description
                == "\(huge):1: expected 'role = value', got '\(String(repeating: "x", count: 60))…'"
        )
        let hugeRole = files.write(
            "hugerole.theme",
            Array(("link_up = green " + String(repeating: "b", count: 1 << 20)).utf8))
        #expect(expectThemeError(library, hugeRole)?.description.utf8.count ?? 0 < 300)

        let directory = files.directory("dir.theme")
        #expect(
            expectThemeError(library, "dir")?.description
                == "\(directory): theme file: is a directory, not a file")
        #expect(
            expectThemeError(library, directory)?.description
                == "\(directory): theme file: is a directory, not a file")
        let missing = files.path("missing.theme")
        #expect(
            expectThemeError(library, missing)?.description
                == "\(missing): theme file: no such file")
        #expect(
            expectThemeError(library, "nosuch")?.description
                == "nosuch: no theme named 'nosuch' (looked for nosuch.theme in \(files.root.path), ./themes); give a theme name or a path to a .theme file"
        )
        let locked = files.unreadable("locked.theme", Array("link_up = green\n".utf8))
        if !BadFiles.isRoot {
            #expect(
                expectThemeError(library, "locked")?.description
                    == "\(locked): theme file: permission denied (check the file's mode and owner)")
        }
        // Parents: a missing path is "no such theme" at the child's line; a binary parent is named itself.
        let orphan = files.write(
            "orphan.theme", Array("link_up = green\ninherits = ./nope.theme\n".utf8))
        #expect(
            expectThemeError(library, "orphan")?.description
                == "\(orphan):2: inherits './nope.theme': no such theme")
        files.write("binparent.theme", [0x6C, 0x00, 0xFF])
        files.write("child.theme", Array("inherits = binparent\n".utf8))
        #expect(
            expectThemeError(library, "child")?.description
                == "\(files.path("binparent.theme")):1: theme file: contains a NUL byte at column 2; is this a binary file?"
        )
    }

    // MARK: Recordings

    func expectRecordingError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation)
        -> RecordingError?
    {
        do {
            _ = try Headless.replayLines(path: path)
            Issue.record("\(path) replayed", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "recording: empty, junk, a 1 MB line, a directory, unreadable: named errors or counted damage"
    )
    func recordingFiles() throws {
        let files = try BadFiles()
        let empty = files.write("empty.upmon", [])
        #expect(
            expectRecordingError(empty)?.description
                == "\(empty): empty file (0 bytes), not an upmon recording")
        for seed in 0..<8 as Range<UInt64> {
            let junk = files.write("junk\(seed).upmon", BadBytes.junk(seed: seed, count: 4096))
            let error = expectRecordingError(junk)
            #expect(error?.file == junk && error?.exitCode == 2, "\(String(describing: error))")
        }
        let huge = files.write("huge.upmon", BadBytes.hugeLine)
        #expect(expectRecordingError(huge)?.description == "\(huge):1: not an upmon recording")
        let directory = files.directory("dir.upmon")
        #expect(
            expectRecordingError(directory)?.description
                == "\(directory): cannot read recording: Is a directory")
        let locked = files.unreadable("locked.upmon", BadBytes.example)
        if !BadFiles.isRoot {
            #expect(
                expectRecordingError(locked)?.description
                    == "\(locked): cannot read recording: Permission denied")
        }

        // After a good header, junk lines and a 1 MB line are skipped and counted; the rest replays.
        let header = BadBytes.example.prefix { $0 != 0x0A } + [0x0A]
        let body = BadBytes.example.dropFirst(header.count)
        let damaged = files.write(
            "damaged.upmon",
            Array(header) + BadBytes.junk(seed: 9, count: 3000) + [0x0A] + BadBytes.hugeLine
                + Array(body))
        let (lines, notes) = try Headless.replayLines(path: damaged)
        let (goodLines, _) = try Headless.replayLines(
            path: files.write("good.upmon", BadBytes.example))
        #expect(lines == goodLines, "every good line still replays")
        #expect(
            notes.contains { $0.hasPrefix("skipped ") && $0.contains("damaged line") }, "\(notes)")
    }
}

// MARK: - Process level

/// The real binary, without a terminal: bad arguments and bad files end with the documented
/// exit code and a message naming the argument or file, and nothing touches a screen.
@Suite(
    "Bad input matrix: the upmon process", .enabled(if: UpmonBinary.isAvailable),
    .timeLimit(.minutes(2)))
struct BadInputProcessTests {
    static let example = packageRoot.appendingPathComponent(
        "Tests/Fixtures/recordings/example.upmon"
    ).path

    /// Arguments, the exit code, and fragments stderr must contain.
    struct Case: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let code: Int32
        let fragments: [String]
        var testDescription: String { "upmon " + arguments.joined(separator: " ") }
        init(_ arguments: [String], _ code: Int32, _ fragments: String...) {
            self.arguments = arguments
            self.code = code
            self.fragments = fragments
        }
    }

    static let commandLines: [Case] = [
        Case(["--bogus"], 64, "unknown option '--bogus'", "upmon watch --help lists them"),
        Case(["serve", "--bogus-flag"], 64, "unknown option '--bogus-flag'", "upmon serve --help"),
        Case(["--wait"], 64, "Missing value for '--wait <wait>'"),
        Case(
            ["call", "127.0.0.1:1", "add", "--timeout"], 64,
            "Missing value for '--timeout <timeout>'"),
        Case(
            ["--once", "--json", "--wait", "5x", "127.0.0.1:1"], 64, "'5x' is not a duration",
            "--wait"),
        Case(
            ["--once", "--json", "--wait", "1e300s", "127.0.0.1:1"], 64,
            "'1e300s' is not a duration", "--wait"),
        Case(
            ["call", "127.0.0.1:1", "add", "--timeout", "5x"], 64, "'5x' is not a duration",
            "--timeout"),
        Case(
            ["call", "127.0.0.1:1", "add", "--stream", "soon"], 64, "'soon' is not a duration",
            "--stream"),
        Case(
            ["--once", "--json", "host:notaport"], 2, "host:notaport",
            "port 'notaport' is not a number"),
        Case(["--once", "--json", "unix:"], 2, "'unix:' has no socket path"),
        Case(
            ["--once", "--json", "127.0.0.1:99999"], 2, "127.0.0.1:99999",
            "is not a number from 0 to 65535"),
        Case(
            ["--once", "--json", "=127.0.0.1:1"], 2, "'=127.0.0.1:1' has an empty name before '='"),
        Case(
            ["--once", "--json", "a=b=c:1"], 2,
            "'b=c:1': host 'b=c' contains '=', which cannot be in a host name"),
        Case(
            ["--once", "--json", String(repeating: "h", count: 300) + ":7000"], 2,
            "is 300 bytes; a host name is at most 253"),
        Case(
            ["--once", "--json", "unix:/" + String(repeating: "s", count: 200)], 2,
            "is 201 bytes; unix socket paths are at most 107"),
        Case(["--once"], 64, "nothing to watch"),
        Case(["--snaps", "127.0.0.1:1"], 64, "--snaps goes with --json"),
        Case(["--color", "300", "127.0.0.1:1"], 64, "--color must be truecolor, 256, 16 or never"),
        Case(["--once", "--json"], 64, "nothing to watch"),
        Case(["replay"], 64, "Missing expected argument '<file>'"),
        Case(["replay", "--speed", "3", example], 64, "--speed must be one of"),
        Case(["replay", "--at", "soon", example], 64, "--at 'soon' is not a position"),
        Case(["serve", "--port", "99999"], 64, "--port must be 0-65535"),
        Case(["serve", "--auth", "nocolon"], 64, "--auth must be USER:PASS, got 'nocolon'"),
        Case(
            ["call", "127.0.0.1:1", "add", "{x", "--strict-json"], 2,
            "argument 1 '{x' is not valid JSON"),
        Case(
            ["call", "nosuch:name", "add"], 2,
            "'nosuch:name' is neither a configured connection nor an endpoint"),
        Case(
            ["--metrics", ":99999", "--once", "--json", "127.0.0.1:1"], 2,
            "cannot serve metrics on :99999"),
    ]

    @Test(
        "bad command lines: exit 64 (usage) or 2 (a bad connection) with a message naming the argument",
        arguments: commandLines)
    func commandLine(_ testCase: Case) throws {
        let result = try UpmonProcess.run(testCase.arguments)
        result.expectNoCrash()
        #expect(result.code == testCase.code, "\(testCase.testDescription): \(result.stderr)")
        for fragment in testCase.fragments {
            #expect(
                result.stderr.contains(fragment),
                "\(testCase.testDescription): stderr is \(result.stderr)")
        }
        #expect(result.stdout.isEmpty, "nothing on stdout: \(result.stdout.prefix(200))")
    }

    @Test("bad config files through --config: exit 2 and file:line on stderr")
    func configFiles() throws {
        let files = try BadFiles()
        var cases: [(path: String, expected: String)] = [
            (files.write("junk.conf", BadBytes.junk(seed: 1, count: 4096)), "config file: "),
            (
                files.write("nul.conf", Array("theme = x\n\u{0}\n".utf8)),
                ":2: config file: contains a NUL byte"
            ),
            (files.write("huge.conf", BadBytes.hugeLine), ":1: expected 'key = value'"),
            (
                files.write(
                    "big.conf", Array("[api]\nendpoint = 127.0.0.1:1\nping = 1e300s\n".utf8)),
                ":3: ping: '1e300s' is longer than 30 days"
            ),
            (
                files.write(
                    "bigcount.conf",
                    Array("[api]\nendpoint = 127.0.0.1:1\nreconnect_max = 1e300\n".utf8)),
                ":3: reconnect_max: '1e300' is not a whole number"
            ),
            (
                files.write(
                    "cut.conf",
                    Array("[api]\nendpoint = 127.0.0.1:1\nping = 1".utf8) + Array("[job".utf8)),
                ":3: ping: '1[job' is not a duration"
            ),
            (files.directory("dir.conf"), ": config file: is a directory"),
            (files.path("missing.conf"), ": config file: no such file"),
        ]
        if !BadFiles.isRoot {
            cases.append(
                (
                    files.unreadable("locked.conf", Array("[a]\nendpoint = a:1\n".utf8)),
                    ": config file: permission denied"
                ))
        }
        for (path, expected) in cases {
            let result = try UpmonProcess.run(["--once", "--json", "--config", path])
            result.expectNoCrash()
            #expect(result.code == 2, "\(path): \(result.stderr)")
            #expect(result.stderr.hasPrefix("upmon: \(path)"), "\(result.stderr)")
            #expect(result.stderr.contains(expected), "\(path): \(result.stderr)")
            #expect(result.stderr.utf8.count < 600)
            #expect(result.stdout.isEmpty)
        }
        let empty = files.write("empty.conf", [])
        let result = try UpmonProcess.run(["--once", "--json", "--config", empty])
        #expect(result.code == 64)
        #expect(
            result.stderr.contains("nothing to watch: \(empty) defines no connections"),
            "\(result.stderr)")
    }

    @Test("bad theme files through --theme: exit 2 and the file on stderr before any screen")
    func themeFiles() throws {
        let files = try BadFiles()
        var cases: [(path: String, expected: String)] = [
            (files.write("junk.theme", BadBytes.junk(seed: 2, count: 4096)), "theme file: "),
            (files.write("huge.theme", BadBytes.hugeLine), ":1: expected 'role = value'"),
            (
                files.write("bad.theme", Array("link_up = green\nlink_down = #12345\n".utf8)),
                ":2: bad colour '#12345'"
            ),
            (files.directory("dir.theme"), ": theme file: is a directory"),
            (files.path("missing.theme"), ": theme file: no such file"),
        ]
        if !BadFiles.isRoot {
            cases.append(
                (
                    files.unreadable("locked.theme", Array("link_up = red\n".utf8)),
                    ": theme file: permission denied"
                ))
        }
        for (path, expected) in cases {
            let result = try UpmonProcess.run(["--theme", path, "127.0.0.1:1"])
            result.expectNoCrash()
            #expect(result.code == 2, "\(path): \(result.stderr)")
            #expect(result.stderr.hasPrefix("upmon: \(path)"), "\(result.stderr)")
            #expect(result.stderr.contains(expected), "\(path): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let unknown = try UpmonProcess.run(["--theme", "nosuch", "127.0.0.1:1"])
        #expect(
            unknown.code == 2 && unknown.stderr.contains("no theme named 'nosuch'"),
            "\(unknown.stderr)")
    }

    @Test(
        "replay --json on damaged recordings: a refused file exits non-zero, damage is counted on stderr"
    )
    func recordings() throws {
        let files = try BadFiles()
        let header = Array(BadBytes.example.prefix { $0 != 0x0A }) + [0x0A]
        let body = Array(BadBytes.example.dropFirst(header.count))
        let refused: [(path: String, code: Int32, expected: String)] = [
            (
                files.write("junk.upmon", BadBytes.junk(seed: 3, count: 4096)), 2,
                ":1: not an upmon recording"
            ),
            (files.write("empty.upmon", []), 2, ": empty file (0 bytes), not an upmon recording"),
            (files.write("huge.upmon", BadBytes.hugeLine), 2, ":1: not an upmon recording"),
            (
                files.write("cutheader.upmon", Array(header.prefix(60))), 2,
                ":1: the header line is truncated (60 bytes, no newline); the file ends inside line 1"
            ),
            (
                files.write("notjson.upmon", Array("no newline, no JSON".utf8)), 2,
                ":1: not an upmon recording"
            ),
            (
                files.write(
                    "v3.upmon",
                    Array(
                        String(decoding: BadBytes.example, as: UTF8.self)
                            .replacingOccurrences(of: "\"version\":1", with: "\"version\":3").utf8)),
                2,
                ":1: recording format version 3 is newer than this upmon understands (2); upgrade upmon"
            ),
            (files.directory("dir.upmon"), 1, ": cannot read recording: Is a directory"),
            (files.path("missing.upmon"), 1, ": cannot read recording: No such file or directory"),
        ]
        for (path, code, expected) in refused {
            let result = try UpmonProcess.run(["replay", "--json", path])
            result.expectNoCrash()
            #expect(result.code == code, "\(path): \(result.stderr)")
            #expect(result.stderr == "upmon: \(path)\(expected)\n", "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let damaged: [(path: String, expected: String)] = [
            (
                files.write(
                    "damaged.upmon", header + BadBytes.junk(seed: 4, count: 3000) + [0x0A] + body),
                "skipped "
            ),
            (
                files.write("hugeline.upmon", header + BadBytes.hugeLine + body),
                "skipped 1 damaged line (2: invalid JSON)"
            ),
            (
                files.write(
                    "cut.upmon", Array(BadBytes.example.prefix(header.count + body.count / 2))),
                "truncated"
            ),
            (
                files.write(
                    "numbers.upmon",
                    header + Array(#"{"t":1e400,"kind":"mark","label":"x"}"#.utf8) + [0x0A] + body),
                "skipped 1 damaged line (2: missing or non-numeric t)"
            ),
        ]
        for (path, expected) in damaged {
            let result = try UpmonProcess.run(["replay", "--json", path])
            result.expectNoCrash()
            #expect(result.code == 0, "\(path): \(result.stderr)")
            #expect(result.stderr.hasPrefix("upmon: \(path): "), "\(result.stderr)")
            #expect(result.stderr.contains(expected), "\(path): \(result.stderr)")
            #expect(result.stdout.hasPrefix(#"{"upmon":"recording""#), "the good lines still print")
        }
    }
}

// MARK: - Support

/// A scratch directory for bad files; removed (after giving back any permissions) at the end.
final class BadFiles {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "upmon-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit {
        if let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) {
            for name in names { chmod(root.appendingPathComponent(name).path, 0o700) }
        }
        try? FileManager.default.removeItem(at: root)
    }

    static var isRoot: Bool { geteuid() == 0 }

    func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = path(name)
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func directory(_ name: String) -> String {
        let path = path(name)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A file with mode 000 (root can still read it).
    func unreadable(_ name: String, _ bytes: [UInt8]) -> String {
        let path = write(name, bytes)
        chmod(path, 0)
        return path
    }
}

enum BadBytes {
    /// Random bytes from a fixed seed, with a NUL, an invalid UTF-8 byte and a newline always in.
    static func junk(seed: UInt64, count: Int) -> [UInt8] {
        var state = seed &+ 0x5EED
        var bytes = (0..<count).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        if count > 8 {
            bytes[1] = 0xFF
            bytes[count / 2] = 0x00
            bytes[count / 3] = 0x0A
        }
        return bytes
    }

    /// One 1 MiB line (and its newline).
    static let hugeLine: [UInt8] = Array(repeating: UInt8(ascii: "x"), count: 1 << 20) + [0x0A]

    /// The committed example recording.
    static let example: [UInt8] =
        (try? Array(
            Data(
                contentsOf: packageRoot.appendingPathComponent(
                    "Tests/Fixtures/recordings/example.upmon")))) ?? []
}

/// Runs `upmon` with stdin on /dev/null and stdout/stderr in files (no terminal), at most 30 s.
struct UpmonProcess {
    let code: Int32
    let reason: Process.TerminationReason
    let stdout: String
    let stderr: String

    static func run(_ arguments: [String]) throws -> UpmonProcess {
        let scratch = try BadFiles()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: UpmonBinary.path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["UPMON_CONFIG", "UPMON_THEMES", "XDG_CONFIG_HOME", "NO_COLOR"] {
            environment[name] = nil
        }
        environment["HOME"] = scratch.root.path
        environment["TERM"] = "xterm-256color"
        process.environment = environment
        let outPath = scratch.write("stdout", [])
        let errPath = scratch.write("stderr", [])
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("upmon \(arguments) did not exit within 30 s")
        }
        process.waitUntilExit()
        let read = { (path: String) in
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        return UpmonProcess(
            code: process.terminationStatus, reason: process.terminationReason,
            stdout: read(outPath), stderr: read(errPath))
    }

    /// Exited by itself (no signal, no Swift runtime trap) and never switched a screen.
    func expectNoCrash(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            reason == .exit, "killed by signal \(code): \(stderr.prefix(500))",
            sourceLocation: sourceLocation)
        #expect(
            !stderr.contains("Fatal error") && !stderr.contains("crashed"), "\(stderr.prefix(500))",
            sourceLocation: sourceLocation)
        let alternateScreen = "\u{1B}[?1049h"
        #expect(
            !stdout.contains(alternateScreen) && !stderr.contains(alternateScreen),
            sourceLocation: sourceLocation)
    }
}
