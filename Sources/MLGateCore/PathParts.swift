extension Array where Element == Substring {
    /// The parts joined with `separator`, as `joined(separator:)` would.
    ///
    /// Built with concrete `String` appends: the standard library's `joined(separator:)` for `StringProtocol` elements
    /// runs unspecialised, and instantiating its generic metadata costs a protocol-conformance scan on the start-up of
    /// every command that reads a path (a few hundred microseconds of a 10 ms budget, `make bench-hooks`).
    public func joinedPath(separator: String = "/") -> String {
        var result = ""
        for index in indices {
            if index > startIndex { result += separator }
            result += String(self[index])
        }
        return result
    }
}
