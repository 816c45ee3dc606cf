import ArgumentParser
import DnodeProtocol
import Foundation
import TerminalUI
import UpmonApp
import UpnodeMonitor

/// `upmon replay FILE`: the dashboard on a recording, or the events as JSON Lines.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a recording in the dashboard (or --json to print it).")

    @Argument(help: "The recording (.upmon).", completion: .file(extensions: ["upmon"]))
    var file: String
    @Flag(help: "Print the recording as the same JSON Lines as `upmon --json`, no UI.") var json =
        false
    @Option(
        help: "Playback speed (0.25 to 64).",
        completion: .list(ReplayStatus.speeds.map { $0 < 1 ? String($0) : String(Int($0)) }))
    var speed: Double = 1
    @Flag(help: "Start paused.") var paused = false
    @Option(help: "Start at a position (05:00, 1:02:03, 90s) or a UTC time (13:52:23 UTC).")
    var at: String?
    @OptionGroup var display: DisplayOptions
    @Option(help: "Log file while the dashboard runs.", completion: .file()) var logFile: String?

    func validate() throws {
        guard ReplayStatus.speeds.contains(speed) else {
            throw ValidationError("--speed must be one of 0.25 0.5 1 2 4 8 16 32 64")
        }
    }

    func run() async throws {
        if json {
            do {
                let (lines, notes) = try Headless.replayLines(path: file)
                for note in notes {
                    FileHandle.standardError.write(Data("upmon: \(file): \(note)\n".utf8))
                }
                for line in lines { StandardOutput.write(JSONPrinter.readable(line)) }
            } catch {
                exitWith(error.description, code: error.exitCode)
            }
            return
        }
        let replayer: Replayer
        do {
            replayer = try Replayer(path: file)
        } catch {
            exitWith(error.description, code: error.exitCode)
        }
        let options = DashboardOptions(
            sessionLabel: (file as NSString).lastPathComponent,
            thresholds: Thresholds(replayer.header.settings),
            theme: display.theme, themesDir: display.themesDir, color: display.color,
            ascii: display.ascii, logFile: logFile,
            recordPath: nil,
            overwriteRecording: false, header: replayer.header, mouse: !display.noMouse)
        let code = await Dashboard.runReplay(
            replayer: replayer, options: options, speed: speed, paused: paused, at: at)
        Platform.exit(code)
    }
}
