import MLGateCore
import Testing

private func id(_ n: Int) -> CommitID {
    CommitID(hex: String(repeating: "0", count: 40 - String(n, radix: 16).count) + String(n, radix: 16))!
}

private func facts(_ n: Int, parents: [Int], missing: Bool = false) -> CommitFacts {
    let someone = Signature(name: "A", email: "a@x", time: Int64(n), offsetMinutes: 0)
    return CommitFacts(id: id(n), parents: parents.map(id), tree: id(1000 + n), author: someone, committer: someone,
                       subject: "c\(n)", parentsMissing: missing)
}

@Suite("Core lineage rules")
struct CoreLineageTests {
    @Test("commit ids must be 40 or 64 lowercase hex digits")
    func commitIDs() {
        #expect(CommitID(hex: String(repeating: "a", count: 40)) != nil)
        #expect(CommitID(hex: String(repeating: "a", count: 64)) != nil)
        #expect(CommitID(hex: String(repeating: "A", count: 40)) == nil)
        #expect(CommitID(hex: "abc") == nil)
        #expect(CommitID(hex: String(repeating: "g", count: 40)) == nil)
    }

    @Test("post-rewrite input: pairs per line, extra fields and junk lines ignored")
    func parseRewrites() {
        let a = String(repeating: "a", count: 40), b = String(repeating: "b", count: 40), c = String(repeating: "c", count: 40)
        let rewrites = Rewrite.parse(postRewriteInput: "\(a) \(b)\n\(b) \(c) extra\nnot ids\n\n", kind: .rebase)
        #expect(rewrites == [
            Rewrite(old: CommitID(hex: a)!, new: CommitID(hex: b)!, kind: .rebase),
            Rewrite(old: CommitID(hex: b)!, new: CommitID(hex: c)!, kind: .rebase),
        ])
    }

    @Test("the walk stops at recorded commits and at a shallow boundary, attributing the first branch that reaches a commit")
    func walk() {
        // 1 ← 2 ← 3 ← 4 (main), 3 ← 5 (topic); 1 recorded; 2 is a shallow boundary in the second graph.
        let graph = [1: facts(1, parents: []), 2: facts(2, parents: [1]), 3: facts(3, parents: [2]),
                     4: facts(4, parents: [3]), 5: facts(5, parents: [3])]
        let found = LineageWalk.unrecorded(
            from: [.init(commit: id(4), branch: "main"), .init(commit: id(5), branch: "topic")],
            isRecorded: { $0 == id(1) }, facts: { target in graph.first { id($0.key) == target }?.value })
        #expect(found.map(\.facts.id) == [id(4), id(5), id(3), id(2)])
        #expect(found.map(\.branch) == ["main", "topic", "main", "main"])

        let shallow = [3: facts(3, parents: [2], missing: true), 4: facts(4, parents: [3])]
        let cut = LineageWalk.unrecorded(
            from: [.init(commit: id(4), branch: nil)], isRecorded: { _ in false },
            facts: { target in shallow.first { id($0.key) == target }?.value })
        #expect(cut.map(\.facts.id) == [id(4), id(3)])
    }
}
