import Foundation
import PackagePlugin

/// Compiles the checked-out commit into the target as `BuildInfo.commit` (`upmon --version`).
///
/// The git files that name the commit are the build command's inputs, so a commit, checkout
/// or reset rebuilds it: `HEAD`, its reflog, the loose ref HEAD points to and `packed-refs`.
/// Outside a git checkout the commit is `unknown`.
@main
struct EmbedBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildInfo.swift")
        var arguments = ["buildinfo", output.path(percentEncoded: false)]
        var inputs: [URL] = []
        if let (gitDir, commonDir) = Self.gitDirectories(package: context.package.directoryURL) {
            arguments += [
                gitDir.path(percentEncoded: false), commonDir.path(percentEncoded: false),
            ]
            var candidates = [
                gitDir.appending(path: "HEAD"), gitDir.appending(path: "logs/HEAD"),
                commonDir.appending(path: "packed-refs"),
            ]
            if let head = try? String(contentsOf: gitDir.appending(path: "HEAD"), encoding: .utf8),
                head.hasPrefix("ref:")
            {
                let ref = head.dropFirst(4).trimmingCharacters(in: .whitespacesAndNewlines)
                candidates += [gitDir.appending(path: ref), commonDir.appending(path: ref)]
            }
            // Only files that exist (a missing input would fail the build), each once.
            for candidate in candidates
            where FileManager.default.fileExists(atPath: candidate.path(percentEncoded: false))
                && !inputs.contains(candidate)
            {
                inputs.append(candidate)
            }
        }
        return [
            .buildCommand(
                displayName: "Embedding the git commit",
                executable: try context.tool(named: "EmbedTool").url,
                arguments: arguments, inputFiles: inputs, outputFiles: [output])
        ]
    }

    /// The repository's git directory and common directory: `.git` itself, or for a worktree
    /// the directory its `.git` file names (`gitdir: …`) and that one's `commondir`.
    static func gitDirectories(package: URL) -> (URL, URL)? {
        let dotGit = package.appending(path: ".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory)
        else { return nil }
        if isDirectory.boolValue { return (dotGit, dotGit) }
        guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:")
        else { return nil }
        let gitDir = Self.resolve(text.dropFirst(7), against: package)
        guard
            let common = try? String(
                contentsOf: gitDir.appending(path: "commondir"), encoding: .utf8)
        else { return (gitDir, gitDir) }
        let commonDir = Self.resolve(Substring(common), against: gitDir)
        return (gitDir, commonDir)
    }

    /// A path read from a git file: absolute, or relative to `base`.
    static func resolve(_ text: Substring, against base: URL) -> URL {
        let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appending(path: path)
        return url.standardizedFileURL
    }
}
