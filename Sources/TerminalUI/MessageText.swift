/// Text from a file as it may appear inside an error message: control characters shown as
/// `\u{…}` (a message goes to a terminal) and at most `limit` characters.
public func shownInMessage(_ text: some StringProtocol, limit: Int = 60) -> String {
    var result = ""
    var count = 0
    for scalar in text.unicodeScalars {
        if count >= limit {
            result += "…"
            break
        }
        if scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) {
            result += "\\u{" + String(scalar.value, radix: 16) + "}"
        } else {
            result.unicodeScalars.append(scalar)
        }
        count += 1
    }
    return result
}
