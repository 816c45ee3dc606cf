/// Theme files compiled into the binary, so upmon always has a complete theme.
///
/// Each is a byte-for-byte copy of the file in the repository's `themes/` directory; a
/// test checks that they stay identical.
public enum BuiltinThemes {
    /// The path shown in errors that come from the compiled-in default theme.
    public static let defaultPath = "<builtin>/default.theme"
    /// The path shown in errors that come from the compiled-in monochrome theme.
    public static let monochromePath = "<builtin>/monochrome.theme"

    /// A copy of `themes/default.theme`.
    public static let defaultTheme = #"""
        # default.theme: upmon's built-in dark theme.
        # Every other theme inherits from this file, so it must define every role.
        description = Dark background, quiet chrome, saturated status colours
        graph = braille

        # chrome
        text              = default
        muted             = #8a8a8a bright-black
        border            = #4e4e4e bright-black
        title             = #5fafff bright-blue bold
        highlight         = #ffffff bright-white on #005f87 blue bold
        header            = #d0d0d0 white on #262626 black bold

        # link states (the symbol + word carry meaning; colour reinforces it)
        link_up           = #5fd75f bright-green
        link_down         = #ff5f5f bright-red bold
        link_reconnecting = #ffaf00 yellow
        link_connecting   = #87afff bright-blue
        link_unknown      = #8a8a8a bright-black

        # latency bands (thresholds come from the config file)
        latency_good      = #5fd75f green
        latency_warn      = #ffd75f yellow
        latency_bad       = #ff8700 bright-red bold
        latency_timeout   = #ff5faf bright-magenta bold

        # transaction queue
        queue_empty       = #8a8a8a bright-black
        queue_nonempty    = #ffd75f yellow
        queue_stuck       = #ff5f5f bright-red bold underline

        # remote calls
        rpc_ok            = #5fd75f green
        rpc_error         = #ff5f5f red bold

        # pinned series in the latency graph
        series1           = #5fafff bright-blue
        series2           = #d787ff bright-magenta
        series3           = #5fd7d7 bright-cyan
        series4           = #ffd75f bright-yellow
        series5           = #87d787 green
        series6           = #ff87af magenta

        # badges and status
        mode_live         = #000000 black on #5fd75f green bold
        mode_paused       = #000000 black on #ffd75f yellow bold
        mode_replay       = #000000 black on #87afff bright-blue bold
        recording         = #ffffff bright-white on #d70000 red bold
        error             = #ff5f5f bright-red bold

        """#

    /// A copy of `themes/monochrome.theme`, the source of attributes at colour depth
    /// `.monochrome` when no user copy is installed.
    public static let monochromeTheme = #"""
        # monochrome.theme: attributes only, no colours.
        # Also the source of every role's attributes when the terminal has no colour
        # (docs/THEMES.md, "Colour depth and fallbacks"), whatever theme is active.
        description = No colour: attributes only
        graph = braille

        # chrome
        text              = default
        muted             = default dim
        border            = default
        title             = default bold
        highlight         = default reverse
        header            = default bold

        # link states
        link_up           = default
        link_down         = default bold
        link_reconnecting = default
        link_connecting   = default
        link_unknown      = default dim

        # latency bands
        latency_good      = default
        latency_warn      = default
        latency_bad       = default bold
        latency_timeout   = default bold underline

        # transaction queue
        queue_empty       = default dim
        queue_nonempty    = default
        queue_stuck       = default underline

        # remote calls
        rpc_ok            = default
        rpc_error         = default bold

        # pinned series in the latency graph
        series1           = default
        series2           = default
        series3           = default
        series4           = default
        series5           = default
        series6           = default

        # badges and status
        mode_live         = default reverse bold
        mode_paused       = default reverse bold
        mode_replay       = default reverse bold
        recording         = default reverse bold
        error             = default bold reverse

        """#
}
