/// The set of role names a theme may define, passed in by the app.
public struct ThemeSchema: Sendable, Hashable {
    /// Role names, in display order.
    public let roles: [String]
    private let roleSet: Set<String>

    /// Creates a schema from role names.
    public init(roles: [String]) {
        self.roles = roles
        self.roleSet = Set(roles)
    }

    /// True when `role` is in the schema.
    public func contains(_ role: String) -> Bool { roleSet.contains(role) }

    /// The closest known role to a misspelt one, if any is close enough to suggest.
    public func suggestion(for role: String) -> String? {
        // A name far longer than any role is no typo of one (and edit distance is O(n·m)).
        guard role.utf8.count <= 64 else { return nil }
        var best: (name: String, distance: Int)?
        for candidate in roles {
            let d = editDistance(role, candidate)
            if d < (best?.distance ?? Int.max) { best = (candidate, d) }
        }
        guard let best else { return nil }
        let limit = max(2, min(role.count, best.name.count) / 3)
        return best.distance <= limit ? best.name : nil
    }

    /// The roles upmon uses (docs/THEMES.md, "Roles").
    public static let upmon = ThemeSchema(roles: [
        "text", "muted", "border", "title", "highlight", "header",
        "link_up", "link_down", "link_reconnecting", "link_connecting", "link_unknown",
        "latency_good", "latency_warn", "latency_bad", "latency_timeout",
        "queue_empty", "queue_nonempty", "queue_stuck",
        "rpc_ok", "rpc_error",
        "series1", "series2", "series3", "series4", "series5", "series6",
        "mode_live", "mode_paused", "mode_replay", "recording", "error",
    ])
}

private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = Array(repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// A role's style as written in a theme file, before conversion to a colour depth.
public struct RoleStyle: Sendable, Hashable {
    /// Foreground colour.
    public var fg: Color
    /// Foreground for 16-colour terminals (0–15), if given.
    public var fgFallback16: UInt8?
    /// Background colour (`.default` when the file has no `on`).
    public var bg: Color
    /// Background for 16-colour terminals (0–15), if given.
    public var bgFallback16: UInt8?
    /// Attributes.
    public var attrs: Attrs

    /// Creates a role style.
    public init(
        fg: Color = .default, fgFallback16: UInt8? = nil, bg: Color = .default,
        bgFallback16: UInt8? = nil, attrs: Attrs = []
    ) {
        self.fg = fg
        self.fgFallback16 = fgFallback16
        self.bg = bg
        self.bgFallback16 = bgFallback16
        self.attrs = attrs
    }

    /// The style at `depth` (see docs/THEMES.md, "Colour depth and fallbacks"). At `.monochrome` the colours are dropped.
    ///
    /// - Parameters:
    ///   - eightColors: the terminal has only 8 colours; bright colours become base + bold.
    ///   - supportedAttributes: attributes the terminal can show; others are dropped.
    public func style(
        at depth: ColorDepth, eightColors: Bool = false, supportedAttributes: Attrs = .all
    ) -> Style {
        var fgColor = ColorDepth.convert(fg, fallback16: fgFallback16, to: depth)
        var bgColor = ColorDepth.convert(bg, fallback16: bgFallback16, to: depth)
        var attributes = attrs
        if eightColors && depth == .ansi16 {
            let f = ColorDepth.toEightColors(fgColor)
            fgColor = f.color
            attributes.formUnion(f.extra)
            bgColor = ColorDepth.toEightColors(bgColor).color
        }
        attributes.formIntersection(supportedAttributes.union([.bold, .underline, .reverse]))
        return Style(fg: fgColor, bg: bgColor, attrs: attributes)
    }
}

/// A theme with its inheritance resolved: a style for every role in the schema.
public struct Theme: Sendable, Hashable {
    /// The theme's name (the file name without `.theme`).
    public var name: String
    /// The `description =` text, if any theme in the chain set one.
    public var description: String?
    /// The preferred graph symbol set, if any theme in the chain set one.
    public var graph: GraphSymbols?
    /// Every role's style.
    public var roles: [String: RoleStyle]

    /// Creates a theme.
    public init(
        name: String, description: String? = nil, graph: GraphSymbols? = nil,
        roles: [String: RoleStyle]
    ) {
        self.name = name
        self.description = description
        self.graph = graph
        self.roles = roles
    }

    /// Converts every role to `depth`.
    ///
    /// At `.monochrome` the colours are dropped and each role takes its attributes from
    /// `monochrome` (the shipped or user `monochrome.theme`), falling back to this theme's
    /// own attributes when `monochrome` is nil or lacks the role.
    public func resolved(
        depth: ColorDepth, monochrome: Theme? = nil, eightColors: Bool = false,
        supportedAttributes: Attrs = .all
    ) -> ResolvedTheme {
        var styles: [String: Style] = [:]
        for (role, roleStyle) in roles {
            if depth == .monochrome {
                let attrs = (monochrome?.roles[role] ?? roleStyle).attrs
                styles[role] = RoleStyle(attrs: attrs).style(
                    at: .monochrome, supportedAttributes: supportedAttributes)
            } else {
                styles[role] = roleStyle.style(
                    at: depth, eightColors: eightColors, supportedAttributes: supportedAttributes)
            }
        }
        return ResolvedTheme(name: name, depth: depth, graph: graph, styles: styles)
    }

    /// Converts every role using the backend's capabilities.
    public func resolved(for capabilities: TerminalCapabilities, monochrome: Theme?)
        -> ResolvedTheme
    {
        resolved(
            depth: capabilities.colorDepth, monochrome: monochrome,
            eightColors: capabilities.hasOnlyEightColors,
            supportedAttributes: capabilities.supportedAttributes)
    }
}

/// A theme converted to one colour depth: what views draw with.
public struct ResolvedTheme: Sendable, Hashable {
    /// The theme's name.
    public var name: String
    /// The depth it was converted to.
    public var depth: ColorDepth
    /// The preferred graph symbol set, if the theme set one.
    public var graph: GraphSymbols?
    /// Every role's style.
    public var styles: [String: Style]

    /// Creates a resolved theme.
    public init(name: String, depth: ColorDepth, graph: GraphSymbols?, styles: [String: Style]) {
        self.name = name
        self.depth = depth
        self.graph = graph
        self.styles = styles
    }

    /// The style for `role`; the plain style for a role the theme does not know.
    public func style(_ role: String) -> Style { styles[role] ?? .plain }

    /// The style for `role`.
    public subscript(role: String) -> Style { style(role) }
}
