import ArgumentParser
import UpmonApp

/// `upmon attach SOCKET…`: an app's own links, read from its monitor endpoint.
struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch an app's own links through its monitor endpoint (a unix socket).",
        discussion: """
            The app publishes its upnode clients with UpnodeMonitorEndpoint(path:). Give one \
            socket per app (unix:/path or a plain path); with several, rows are named app/link. \
            Calls, reconnect and hold are not available: the links belong to the app.
            """)

    @Argument(help: "The apps' monitor sockets: unix:/run/app/upmon.sock or a path.")
    var sockets: [String]

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let attachment: AttachSession
        do {
            attachment = try await AttachSession.open(paths: sockets)
        } catch {
            exitWith(error.description, code: 1)
        }
        let session = LiveSession(attached: attachment)
        let label =
            sockets.count == 1
            ? "attach \(AttachSession.socketPath(sockets[0]))" : "attach \(sockets.count) apps"
        await runSession(session, output: output, plan: SessionPlan(label: label))
    }
}
