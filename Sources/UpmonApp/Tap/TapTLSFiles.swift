import Upnode

/// The PEM files of a tap's TLS sides, checked before the tap starts so that a wrong file is
/// named with what to do, rather than reported by the TLS library on the first connection.
public enum TapTLSFiles {
    /// What a PEM file should hold.
    public enum Content: Sendable {
        /// A certificate chain (or the CA to trust).
        case certificate
        /// A private key.
        case privateKey

        var words: String {
            switch self {
            case .certificate: "a PEM certificate (-----BEGIN CERTIFICATE-----)"
            case .privateKey: "a PEM private key (-----BEGIN PRIVATE KEY----- or similar)"
            }
        }

        var marker: String {
            switch self {
            case .certificate: "-----BEGIN CERTIFICATE-----"
            case .privateKey: "PRIVATE KEY-----"
            }
        }
    }

    /// What is wrong with `path`, starting with the path (`/x.pem: no such file; give …`), or
    /// nil when it is a readable text file that holds `content`.
    public static func problem(_ path: String, content: Content) -> String? {
        switch TextFile.read(path: path) {
        case .failure(let failure):
            return "\(path): \(failure); give \(content.words)"
        case .success(let text):
            guard text.contains(content.marker) else {
                return "\(path): does not hold \(content.words)"
            }
            return nil
        }
    }

    /// The message for TLS files that were readable but did not load: which files, the TLS
    /// library's words, and what to check.
    public static func loadFailure(_ error: UpnodeError) -> String {
        "\(error) (check that the key belongs to the certificate and that both are PEM)"
    }
}
