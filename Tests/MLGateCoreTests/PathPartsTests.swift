import MLGateCore
import Testing

@Suite("path parts")
struct PathPartsTests {
    @Test("joinedPath gives what joined(separator:) gives", arguments: ["", "a", "a/b", "a//b/", "/x/./y/../z", "ü/ñ/漢字"])
    func sameAsJoined(_ path: String) {
        let parts = path.split(separator: "/")
        #expect(parts.joinedPath() == parts.joined(separator: "/"))
        #expect(parts.joinedPath(separator: ", ") == parts.joined(separator: ", "))
    }
}
