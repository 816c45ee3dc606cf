import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The package root (three levels above this file: Tests/ProcessTestSupport/<file>).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()

/// The real `upmon` binary for tests that run it: `$UPMON_BIN`, else the debug build.
public enum UpmonBinary {
    public static let path: String = {
        if let path = ProcessInfo.processInfo.environment["UPMON_BIN"], !path.isEmpty {
            return path
        }
        return packageRoot.appendingPathComponent(".build/debug/upmon").path
    }()
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: path) }
}

/// posix_spawn + waitpid (Foundation's Process can hang waiting for children under the test runner).
public enum Spawn {
    public struct Failure: Error { public let code: Int32 }

    /// Starts `path` with stdin on /dev/null and stdout/stderr to the given files (or /dev/null).
    ///
    /// Children get default handling of SIGTERM, SIGINT and SIGPIPE and an empty signal mask:
    /// the test runner ignores some signals, and a tmux server that inherits an ignored SIGTERM
    /// survives kill-server.
    public static func start(
        _ path: String, _ arguments: [String], stdoutPath: String? = nil, stderrPath: String? = nil
    )
        throws -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, stdoutPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(
            &actions, 2, stderrPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw Failure(code: result) }
        return pid
    }

    /// Runs to completion and returns the exit status.
    public static func run(
        _ path: String, _ arguments: [String], stdoutPath: String?, stderrPath: String? = nil
    ) throws
        -> Int32
    {
        let pid = try start(path, arguments, stdoutPath: stdoutPath, stderrPath: stderrPath)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xFF
    }
}

/// Self-signed certificates for TLS tests, made by openssl.
public enum TestCertificate {
    /// Whether openssl is there to make them.
    public static let isAvailable = FileManager.default.isExecutableFile(
        atPath: "/usr/bin/openssl")

    /// Makes `name.pem` and `name.key` (self-signed, CN and SAN localhost) in `directory`.
    public static func make(_ name: String, in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem",
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
    }
}
