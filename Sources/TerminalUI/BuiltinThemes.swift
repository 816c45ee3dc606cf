/// The themes compiled into the binary, so upmon has every shipped theme wherever it runs.
///
/// The texts are the files in the repository's `themes/` directory, byte for byte: the
/// EmbedThemes build plugin generates `embedded` from them at build time, so the files stay
/// the source of truth (edit one, rebuild, and the binary has the new text).
public enum BuiltinThemes {
    /// The names of the compiled-in themes (file names without `.theme`), sorted.
    public static let names: [String] = embedded.keys.sorted()

    /// The text of the compiled-in theme `name`; nil when there is none.
    public static func text(named name: String) -> String? { embedded[name] }

    /// The path shown in errors that come from the compiled-in theme `name`.
    public static func path(named name: String) -> String { "<builtin>/\(name).theme" }

    /// The compiled-in theme `name` as a parser source; nil when there is none.
    public static func source(named name: String) -> ThemeSource? {
        text(named: name).map { ThemeSource(path: path(named: name), text: $0) }
    }

    /// The path shown in errors that come from the compiled-in default theme.
    public static let defaultPath = path(named: "default")
    /// The path shown in errors that come from the compiled-in monochrome theme.
    public static let monochromePath = path(named: "monochrome")

    // The plugin refuses to build without these two files, so they are always here.
    /// `themes/default.theme`: every other theme inherits from it.
    public static var defaultTheme: String { embedded["default"] ?? "" }
    /// `themes/monochrome.theme`, the source of attributes at colour depth `.monochrome` when
    /// no user copy is installed.
    public static var monochromeTheme: String { embedded["monochrome"] ?? "" }
}
