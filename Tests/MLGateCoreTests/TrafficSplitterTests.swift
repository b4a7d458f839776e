import MLGateCore
import Testing

@Suite("the router's split and mirror sampling")
struct TrafficSplitterTests {
    @Test("every 100 requests hold each share exactly, spread evenly, in the same order every time", arguments: [
        ["blue": 90, "green": 10], ["a": 33, "b": 33, "c": 34], ["a": 1, "b": 99], ["only": 100], ["a": 50, "b": 50, "off": 0],
    ])
    func exactShares(weights: [String: Int]) {
        var splitter = TrafficSplitter(TrafficMap(weights))
        let picks = (0..<300).compactMap { _ in splitter.next() }
        #expect(picks.count == 300)
        for start in stride(from: 0, to: 300, by: 100) {
            let window = picks[start..<start + 100]
            for (name, share) in weights { #expect(window.filter { $0 == name }.count == share, "\(name) in \(weights)") }
        }
        var again = TrafficSplitter(TrafficMap(weights))
        #expect((0..<300).compactMap { _ in again.next() } == picks)
        // The smaller share is spread out, never bunched: no run of the larger one longer than the ratio needs.
        if weights == ["blue": 90, "green": 10] {
            #expect(picks.split(separator: "green").map(\.count).max() ?? 0 <= 9)
        }
    }

    @Test("no live traffic: no deployment is chosen")
    func noLiveTraffic() {
        var splitter = TrafficSplitter(TrafficMap(["a": 0, "b": 0]))
        #expect(splitter.next() == nil)
    }

    @Test("a mirror copies exactly its percent of every 100 requests", arguments: [0, 1, 10, 33, 50, 100])
    func mirrorShare(percent: Int) {
        var sampler = MirrorSampler(percent: percent)
        let taken = (0..<1000).filter { _ in sampler.take() }.count
        #expect(taken == percent * 10)
    }
}
