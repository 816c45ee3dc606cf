#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few POSIX calls the app makes by name, in one place so that each platform's C
/// library is imported once (`write` and `exit` are shadowed by methods elsewhere).
public enum Platform {
    /// Writes every byte to `descriptor`, retrying after EINTR; stops at the first error.
    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(
                    descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Standard error's descriptor.
    public static let standardError = STDERR_FILENO

    /// Ends the process with `code` (no cleanup beyond the C library's).
    public static func exit(_ code: Int32) -> Never {
        #if canImport(Glibc)
            Glibc.exit(code)
        #else
            Darwin.exit(code)
        #endif
    }

    /// The terminal's rows and columns (TIOCGWINSZ on standard output), if it has any.
    public static func terminalSize() -> (rows: Int, cols: Int)? {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0
        else { return nil }
        return (Int(size.ws_row), Int(size.ws_col))
    }
}
