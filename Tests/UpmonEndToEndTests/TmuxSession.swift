import Foundation
import ProcessTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A tmux server of our own (`-L`, `-f /dev/null`, fixed size) running one command.
final class TmuxSession {
    static var isAvailable: Bool {
        ["/usr/bin/tmux", "/usr/local/bin/tmux"].contains {
            FileManager.default.isExecutableFile(atPath: $0)
        } && UpmonBinary.isAvailable
    }

    let socket = "upmon-e2e-" + UUID().uuidString.prefix(8)

    convenience init(
        command: String, width: Int = 120, height: Int = 35, environment: [String: String] = [:]
    ) throws {
        // tmux 3.3 neither reports a dead pane's exit status nor reliably shows what a pane wrote
        // just before it died, so the shell prints the status and then stays alive.
        try self.init(
            paneCommand: ["sh", "-c", "'\(command); echo upmon-exit=$?; exec sleep 600'"],
            width: width, height: height, environment: environment)
    }

    /// The prompt of `interactiveShell()`.
    static let prompt = "upmon-e2e%"

    /// An interactive bash with job control in the pane (Ctrl-Z, `fg`): start upmon with
    /// `typeCommand`, read its exit status with `waitForShellExit`. Under the plain `sh -c`
    /// of `init(command:)` upmon's process group is orphaned, so the kernel discards SIGTSTP.
    static func interactiveShell(
        width: Int = 120, height: Int = 35, environment: [String: String] = [:]
    ) throws -> TmuxSession {
        var env = environment
        env["PS1"] = prompt
        env["HISTFILE"] = "/dev/null"
        return try TmuxSession(
            paneCommand: ["bash", "--norc", "--noprofile", "-i"], width: width, height: height,
            environment: env)
    }

    init(paneCommand: [String], width: Int, height: Int, environment: [String: String]) throws {
        // An empty value in `environment` unsets the variable (e.g. TERM).
        var env = [
            "TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "NO_COLOR": "",
            "COLORTERM": "",
        ]
        env.merge(environment) { _, new in new }
        let sorted = env.sorted { $0.key < $1.key }
        let unset = sorted.filter { $0.value.isEmpty }.map { "-u \($0.key)" }
        let set = sorted.filter { !$0.value.isEmpty }.map { "\($0.key)=\($0.value)" }
        let line = (["env"] + unset + set + paneCommand).joined(separator: " ")
        try run([
            "new-session", "-d", "-x", String(width), "-y", String(height), "-s", "t", line,
            ";", "set-option", "-g", "remain-on-exit", "on",
        ])
    }

    /// Ends the tmux server (and what runs in it). Call it in a `defer`: relying on `deinit`
    /// left servers behind.
    func close() { _ = try? run(["kill-server"]) }

    deinit { close() }

    /// Runs a tmux client command and returns its standard output.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "\(socket)-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        // The server forked by new-session must not inherit our output file.
        let capture = arguments.first == "new-session" ? nil : outputPath
        _ = try Spawn.run(
            "/usr/bin/tmux", ["-L", socket, "-f", "/dev/null"] + arguments, stdoutPath: capture)
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    /// The visible screen as text.
    func screen() -> String { (try? run(["capture-pane", "-p", "-t", "t"])) ?? "" }
    /// The visible screen with SGR colour escapes.
    func screenWithColours() -> String {
        (try? run(["capture-pane", "-p", "-e", "-t", "t"])) ?? ""
    }

    func send(_ keys: String...) { _ = try? run(["send-keys", "-t", "t"] + keys) }
    func type(_ text: String) { _ = try? run(["send-keys", "-t", "t", "-l", text]) }
    func resize(width: Int, height: Int) {
        _ = try? run(["resize-window", "-t", "t", "-x", String(width), "-y", String(height)])
    }

    /// A tmux format of the pane, e.g. `#{alternate_on}`.
    func format(_ format: String) -> String {
        ((try? run(["display", "-p", "-t", "t", format])) ?? "").trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    /// Types a command line into the interactive shell and presses Enter.
    func typeCommand(_ line: String) {
        type(line)
        send("Enter")
    }

    /// With `interactiveShell()`: waits until `pid` (upmon, the shell's job) is gone, then has
    /// the shell print `$?`. Returns upmon's exit status.
    func waitForShellExit(pid: pid_t, timeout: Duration = .seconds(15)) async -> Int? {
        guard await eventually(timeout: timeout, { ProcStat.isGone(pid) }) else { return nil }
        // Quoted apart so the typed line itself does not read as a status.
        typeCommand("echo \"upmon-\"\"exit=$?\"")
        return await waitForExit(timeout: timeout).status
    }

    /// (upmon has exited, its exit status) as the wrapper shell printed it.
    func paneStatus() -> (dead: Bool, status: Int?) {
        let text = screen()
        guard let range = text.range(of: "upmon-exit=") else { return (false, nil) }
        return (true, Int(text[range.upperBound...].prefix { $0.isNumber }))
    }

    /// The pid of the upmon process (the child of the pane's shell).
    func upmonPID() -> Int32? {
        guard
            let shell = Int32(
                ((try? run(["display", "-p", "-t", "t", "#{pane_pid}"])) ?? "").trimmingCharacters(
                    in: .whitespacesAndNewlines))
        else { return nil }
        let children =
            (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8))
            ?? ""
        return children.split(separator: " ").first.flatMap { Int32($0) }
    }

    /// Polls the screen until `predicate` holds (a hang guard, not a speed assertion).
    @discardableResult
    func waitForScreen(timeout: Duration = .seconds(20), _ predicate: (String) -> Bool) async
        -> String
    {
        let deadline = ContinuousClock.now + timeout
        var last = screen()
        while ContinuousClock.now < deadline {
            if predicate(last) { return last }
            try? await Task.sleep(for: .milliseconds(100))
            last = screen()
        }
        return last
    }

    func waitForScreen(containing text: String, timeout: Duration = .seconds(20)) async -> String {
        await waitForScreen(timeout: timeout) { $0.contains(text) }
    }

    /// Waits until upmon has exited (the wrapper printed its status).
    func waitForExit(timeout: Duration = .seconds(15)) async -> (dead: Bool, status: Int?) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let status = paneStatus()
            if status.dead { return status }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return paneStatus()
    }
}

/// What /proc says about a process.
enum ProcStat {
    /// The state letter of /proc/PID/stat (R, S, T, Z, …), nil when there is no such process.
    static func state(_ pid: pid_t) -> Character? {
        guard let fields = statFields(pid) else { return nil }
        return fields.first?.first
    }

    /// Gone: no such process, or a zombie nobody has reaped yet (an orphan's reaper may be slow).
    static func isGone(_ pid: pid_t) -> Bool {
        if posixKill(pid, 0) != 0 && errno == ESRCH { return true }
        return state(pid) == "Z" || state(pid) == nil
    }

    /// User + system CPU seconds so far (utime + stime of /proc/PID/stat).
    static func cpuSeconds(_ pid: pid_t) -> Double? {
        guard let fields = statFields(pid), fields.count > 12, let user = Double(fields[11]),
            let system = Double(fields[12])
        else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The fields after `(comm)`: state is [0], utime [11], stime [12].
    private static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }
}

/// A blocking HTTP/1.0 GET on 127.0.0.1 (5 s socket timeouts); the body, or nil.
func httpGet(port: Int, path: String) -> String? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { return nil }
    let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else {
        return nil
    }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        response += chunk[..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    return text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) }
}

/// A `upmon serve` child process on a free loopback port.
final class ServeProcess {
    let pid: pid_t
    let port: Int

    init(port: Int? = nil, arguments: [String] = []) throws {
        self.port = try port ?? Self.freePort()
        pid = try Spawn.start(
            UpmonBinary.path, ["serve", "--port", String(self.port), "--quiet"] + arguments,
            stdoutPath: nil)
    }

    func kill() {
        _ = posixKill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    deinit { kill() }

    /// Binds port 0 on 127.0.0.1 and returns the port the kernel chose.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// `kill(2)`, callable where a method named `kill` hides it.
@discardableResult
func posixKill(_ pid: pid_t, _ signal: Int32) -> Int32 { kill(pid, signal) }
