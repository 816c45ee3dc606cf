import Foundation
import PackagePlugin

/// Compiles every `themes/*.theme` file into the target as `BuiltinThemes.embedded`.
///
/// The files are the build command's inputs: edit one and the next build embeds the new text.
@main
struct EmbedThemes: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "themes")
        let files = try FileManager.default.contentsOfDirectory(
            at: directory, includingPropertiesForKeys: nil
        )
        .filter { $0.pathExtension == "theme" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedThemes.swift")
        return [
            .buildCommand(
                displayName: "Embedding themes/*.theme (\(files.count) files)",
                executable: try context.tool(named: "EmbedTool").url,
                arguments: ["themes", output.path(percentEncoded: false)]
                    + files.map { $0.path(percentEncoded: false) },
                inputFiles: files,
                outputFiles: [output])
        ]
    }
}
