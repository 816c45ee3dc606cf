import CUpnodeSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `on_alert` commands (docs/ARCHITECTURE.md, "Alerts"): `/bin/sh -c command` with the
/// alert in `UPMON_*` variables, stdin on /dev/null, stdout and stderr captured together.
///
/// Each run gets a thread of its own, so a slow or hanging hook never blocks the dashboard's
/// main loop or the headless event loop. Output beyond `keptOutputBytes` is read and thrown
/// away (a flooding hook costs no memory and never blocks on a full pipe); a run still going
/// at its timeout is killed with its whole process group (`sh -c 'sleep 100'` leaves no
/// `sleep` behind). The C helper `cus_spawn_group` is used rather than Foundation's `Process`
/// because the child must lead its own process group, which `Process` cannot ask for.
public enum AlertHookRunner {
    /// Bytes of output kept for the log line.
    public static let keptOutputBytes = 2048
    /// The shell the command runs in.
    static let shell = "/bin/sh"

    /// Starts `request` and calls `completion` once, from the run's thread, when it ended.
    public static func run(
        _ request: AlertHookRequest,
        completion: @escaping @Sendable (AlertHookOutcome) -> Void
    ) {
        let thread = Thread {
            completion(runBlocking(request))
        }
        thread.name = "upmon on_alert"
        thread.start()
    }

    /// Runs `request` on the calling thread until it ends or times out.
    public static func runBlocking(_ request: AlertHookRequest) -> AlertHookOutcome {
        let deadline = ContinuousClock.now + .milliseconds(Int64(request.timeout * 1000))
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in request.environment { environment[name] = value }
        let words: [String] = [shell, "-c", request.command]
        let argv = words.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        var output: CInt = -1
        let result = argv.withUnsafeBufferPointer { argvPointer in
            envp.withUnsafeBufferPointer { envpPointer in
                cus_spawn_group(
                    shell, argvPointer.baseAddress, envpPointer.baseAddress, &pid, &output)
            }
        }
        guard result == 0 else {
            return AlertHookOutcome(
                label: request.label,
                ending: .failedToStart(String(cString: strerror(result)).lowercased()),
                output: "", outputBytes: 0)
        }
        var capture = OutputCapture(limit: keptOutputBytes)
        let finishedReading = capture.read(output, until: deadline)
        close(output)
        var ending: AlertHookOutcome.Ending
        if finishedReading, let status = waitForExit(pid, until: deadline) {
            ending = describe(status)
        } else {
            // Past the deadline: the whole group, then reap the shell.
            kill(-pid, SIGKILL)
            var status: CInt = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            ending = .timedOut
        }
        return AlertHookOutcome(
            label: request.label, ending: ending, output: capture.text,
            outputBytes: capture.total)
    }

    /// The output kept so far and the bytes seen in all.
    struct OutputCapture {
        let limit: Int
        var kept: [UInt8] = []
        var total = 0

        init(limit: Int) { self.limit = limit }

        var text: String { String(decoding: kept, as: UTF8.self) }

        /// Reads `fd` to end of file; `false` when `deadline` came first.
        mutating func read(_ fd: CInt, until deadline: ContinuousClock.Instant) -> Bool {
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return false }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let (seconds, attoseconds) = left.components
                let waitMs = CInt(
                    clamping: max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
                let ready = poll(&poller, 1, waitMs)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                if ready == 0 { continue }
                let count = buffer.withUnsafeMutableBytes {
                    systemRead(fd, $0.baseAddress, $0.count)
                }
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return true
                }
                if count == 0 { return true }
                total += count
                if kept.count < limit { kept += buffer[..<min(count, limit - kept.count)] }
            }
        }
    }

    /// The wait status once `pid` exits, or `nil` at `deadline`. A shell that closed its
    /// output but goes on running is polled, every 10 ms, on this run's own thread.
    static func waitForExit(_ pid: pid_t, until deadline: ContinuousClock.Instant) -> CInt? {
        while true {
            var status: CInt = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return status }
            if result < 0 {
                if errno == EINTR { continue }
                return -1  // ECHILD: reaped elsewhere; the status is unknown
            }
            guard ContinuousClock.now < deadline else { return nil }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
    }

    static func describe(_ status: CInt) -> AlertHookOutcome.Ending {
        if status == -1 { return .exited(0) }
        let signal = status & 0x7F
        if signal == 0 { return .exited((status >> 8) & 0xFF) }
        return .signaled(signal)
    }
}

/// POSIX `read` (inside `OutputCapture` the name means its own method).
private func systemRead(_ fd: CInt, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
