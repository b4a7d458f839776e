/// "Did you mean …?" for a name that is not one of the known ones: the closest by edit distance (at most two
/// edits, or a third of the name's length for long names), else one that contains the name or is contained in it.
public enum Suggestion {
    /// The known name closest to `word`, or nil when none is close.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        guard !word.isEmpty else { return nil }
        let limit = max(2, word.count / 3)
        if let best = candidates.min(by: { distance(word, $0) < distance(word, $1) }), distance(word, best) <= limit { return best }
        guard word.count >= 3 else { return nil }
        return candidates.first { $0.contains(word) || word.contains($0) }
    }

    /// ` (did you mean 'x'?)`, ready to put after the unknown name in a message, or "" when nothing is close.
    public static func didYouMean(_ word: String, among candidates: [String]) -> String {
        closest(to: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// The Levenshtein distance between two strings, by character.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
