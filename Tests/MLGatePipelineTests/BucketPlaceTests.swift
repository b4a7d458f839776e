import Foundation
import MLGateCore
@testable import MLGatePipeline
import MLGateS3
import MLGateStore
import MLGateTestSupport
import Testing

/// The S3 side of push and pull, against a real S3-compatible server (moto, checking signatures).
@Suite("MLGatePipeline: objects in an S3 bucket")
struct BucketPlaceTests {
    @Test("which objects a bucket lacks, by HEADs for a few and by one listing for many; sent objects come back intact")
    func missingAndFetch() throws {
        guard S3TestServer.python != nil || ProcessInfo.processInfo.environment["CI"] == "true" else { return }
        let server = try S3TestServer()
        defer { server.stop() }
        let folder = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let local = ObjectStore(root: folder + "/local")
        let hashes = try (0..<80).map { try local.put(bytes: Array("object \($0)\n".utf8)) }.sorted()
        var settings = S3Settings()
        settings.endpoint = server.endpoint
        let environment = server.environment
        let bucket = try S3Bucket(location: #require(S3Location("s3://\(server.bucket)/p")), settings: settings, environment: { environment[$0] })
        let place = BucketPlace(bucket: bucket)
        try place.send(Array(hashes.prefix(30)), from: local)
        #expect(try place.missing(hashes) == Array(hashes.dropFirst(30)), "80 hashes: by listing")
        #expect(try place.missing(Array(hashes.suffix(40).prefix(10))) == Array(hashes.suffix(40).prefix(10)), "10 hashes: by HEADs")
        #expect(try place.missing(Array(hashes.prefix(5))).isEmpty)

        let fresh = ObjectStore(root: folder + "/fresh")
        #expect(try place.fetch(Array(hashes.prefix(32)), into: fresh) == Array(hashes.prefix(32).suffix(2)))
        #expect(try hashes.prefix(30).allSatisfy { try fresh.bytes($0) == local.bytes($0) })
    }
}
