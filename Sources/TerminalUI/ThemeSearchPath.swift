/// Where `--theme NAME` is looked for, and the order `t` cycles through themes
/// (docs/THEMES.md, "Where themes come from"). Pure: the app does the file I/O.
public enum ThemeSearchPath {
    /// The shipped themes, in cycle order.
    public static let shipped = [
        "default", "light", "high-contrast", "monochrome", "solarized-dark",
    ]

    /// Directories to search, first match wins: `--themes-dir`, `$UPMON_THEMES`,
    /// `$XDG_CONFIG_HOME/upmon/themes` (or `$HOME/.config/upmon/themes`),
    /// `<executable dir>/../share/upmon/themes`, `./themes`.
    public static func directories(
        themesDir: String?, environment: [String: String], executableDirectory: String?
    ) -> [String] {
        var result: [String] = []
        func add(_ path: String?) {
            guard let path, !path.isEmpty, !result.contains(path) else { return }
            result.append(path)
        }
        add(themesDir)
        add(environment["UPMON_THEMES"])
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            add(xdg + "/upmon/themes")
        } else if let home = environment["HOME"], !home.isEmpty {
            add(home + "/.config/upmon/themes")
        }
        if let executableDirectory { add(executableDirectory + "/../share/upmon/themes") }
        add("./themes")
        return result
    }

    /// True when a `--theme` argument is a path to load directly (it contains `/`).
    public static func isPath(_ argument: String) -> Bool { argument.contains("/") }

    /// The `t` cycle: shipped themes in their order, then the rest alphabetically.
    public static func cycleOrder(_ names: some Sequence<String>) -> [String] {
        let unique = Set(names)
        let shippedFound = shipped.filter { unique.contains($0) }
        let user = unique.subtracting(shipped).sorted()
        return shippedFound + user
    }

    /// The theme after `current` in `order`, wrapping around.
    public static func next(after current: String, in order: [String]) -> String? {
        guard !order.isEmpty else { return nil }
        guard let index = order.firstIndex(of: current) else { return order[0] }
        return order[(index + 1) % order.count]
    }
}
