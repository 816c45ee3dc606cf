import Upnode
import UpnodeMonitor
import UpnodeTap

/// The taps of a config file's links (`tap =` in a link's section): each listens where its
/// `tap` says and connects every client on to the link's endpoint, with the link's TLS
/// settings, as `upmon tap` would.
public enum ConfigTaps {
    /// One tap to start: its route and settings, and the link it is in front of.
    public struct Tap: Sendable {
        /// Where it listens and what it connects on to.
        public var route: TapRoute
        /// The decoding settings (the link's line cap, whether arguments are kept).
        public var options: TapOptions
        /// The name of the link it is in front of.
        public var link: String
    }

    /// The taps of `links`, as rows after the links: `c(N+1)`, … named `<link>-tap`, their
    /// clients `<link>-tap#1`, … The link's line cap applies to the tap's decoding.
    public static func taps(for links: [ConnectionSpec], recordsArguments: Bool) -> [Tap] {
        var taps: [Tap] = []
        for spec in links {
            guard let tap = spec.tap else { continue }
            var listenTLS: ServerTLSOptions?
            if let certificate = tap.certificateFile, let key = tap.privateKeyFile {
                listenTLS = ServerTLSOptions(certificateFile: certificate, privateKeyFile: key)
            }
            let route = TapRoute(
                id: ConnectionID(index: links.count + taps.count), name: "\(spec.name)-tap",
                listen: tap.listen, target: spec.endpoint, listenTLS: listenTLS,
                targetTLS: spec.tls)
            var options = TapOptions()
            options.maxLineBytes = spec.link.maxLineBytes
            options.decoder.recordArguments = recordsArguments
            taps.append(Tap(route: route, options: options, link: spec.name))
        }
        return taps
    }

    /// The first PEM file of a tapped link that cannot be used, as `[api] tap_cert /x.pem: …`.
    public static func fileProblem(in links: [ConnectionSpec]) -> String? {
        for spec in links where spec.tap != nil {
            var files: [(String, String?, TapTLSFiles.Content)] = [
                ("tap_cert", spec.tap?.certificateFile, .certificate),
                ("tap_key", spec.tap?.privateKeyFile, .privateKey),
            ]
            if case .tls = spec.endpoint {
                files += [
                    ("tls_ca", spec.tls?.trustRootsFile, .certificate),
                    ("tls_cert", spec.tls?.certificateFile, .certificate),
                    ("tls_key", spec.tls?.privateKeyFile, .privateKey),
                ]
            }
            for case (let key, let path?, let content) in files {
                if let problem = TapTLSFiles.problem(path, content: content) {
                    return "[\(spec.name)] \(key) \(problem)"
                }
            }
        }
        return nil
    }
}
