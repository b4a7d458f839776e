extension StringProtocol {
    /// The text without leading and trailing whitespace (spaces, tabs, line ends: Unicode's White_Space).
    public var trimmingWhitespace: Substring {
        let scalars = Substring(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return Substring(scalars[first...last])
    }
}
