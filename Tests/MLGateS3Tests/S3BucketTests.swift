import Foundation
import MLGateCore
import MLGateNotify
import MLGateStore
import MLGateTestSupport
import Testing
@testable import MLGateS3

/// The S3 client against a real S3-compatible server (moto, checking every signature), and its parts that need none.
@Suite("S3-compatible objects", .serialized)
struct S3BucketTests {
    /// A server, or a recorded issue when moto is missing under CI (`.ci/run` installs it); nil to skip elsewhere.
    private func server() throws -> S3TestServer? {
        guard S3TestServer.python != nil || ProcessInfo.processInfo.environment["CI"] == "true" else { return nil }
        return try S3TestServer()
    }

    private func bucket(_ server: S3TestServer, prefix: String = "team/project", secret: String? = nil,
                        multipartMB: Int = 100, partMB: Int = 16) throws -> S3Bucket {
        var settings = S3Settings()
        settings.endpoint = server.endpoint
        settings.region = "us-east-1"
        settings.multipartThresholdMB = multipartMB
        settings.partSizeMB = partMB
        var environment = server.environment
        if let secret { environment["AWS_SECRET_ACCESS_KEY"] = secret }
        let location = try #require(S3Location("s3://\(server.bucket)/\(prefix)"))
        return try S3Bucket(location: location, settings: settings, environment: { environment[$0] },
                            client: .init(attempts: 2, initialBackoff: 0.01, timeoutSeconds: 60))
    }

    @Test("put, size, get and list through signed requests; what is not there is nil, not an error")
    func roundTrip() throws {
        guard let server = try server() else { return }
        defer { server.stop() }
        let bucket = try bucket(server)
        #expect(bucket.baseURL == server.endpoint + "/" + server.bucket)
        try bucket.put("runcache/a b+c.json", bytes: Array("{\"stage\":\"train\"}".utf8))
        try bucket.put("runcache/z.json", bytes: [])
        #expect(try bucket.size("runcache/a b+c.json") == 17)
        #expect(try bucket.get("runcache/a b+c.json") == Array("{\"stage\":\"train\"}".utf8))
        #expect(try bucket.get("runcache/z.json") == [])
        #expect(try bucket.list("runcache") == ["runcache/a b+c.json", "runcache/z.json"])
        #expect(try bucket.size("runcache/missing.json") == nil && bucket.get("runcache/missing.json") == nil)
        #expect(try bucket.list("elsewhere").isEmpty)
    }

    @Test("a file above the threshold goes up in parts, several at once, and comes down in ranges, byte for byte")
    func multipart() throws {
        guard let server = try server() else { return }
        defer { server.stop() }
        let bucket = try bucket(server, multipartMB: 5, partMB: 5)
        let folder = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var random = SeededRandom(seed: 7)
        let bytes = (0..<(12 << 20) + 12_345).map { _ in UInt8.random(in: 0...255, using: &random) }
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/big.bin"))
        try bucket.upload("objects/big", file: folder + "/big.bin")
        #expect(try bucket.size("objects/big") == Int64(bytes.count))
        #expect(try bucket.download("objects/big", to: folder + "/back.bin"))
        #expect(FileManager.default.contents(atPath: folder + "/back.bin") == Data(bytes))
        #expect(try !bucket.download("objects/none", to: folder + "/none.bin"))
    }

    @Test("a download whose bytes are not its name's is never stored; the store keeps nothing of it")
    func damagedDownload() throws {
        guard let server = try server() else { return }
        defer { server.stop() }
        let bucket = try bucket(server)
        let folder = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = ObjectStore(root: folder + "/objects")
        let good = ContentHash.of(Array("good\n".utf8))
        try bucket.put("objects/" + good, bytes: Array("evil\n".utf8))  // what a damaged or tampered bucket holds
        #expect(throws: ObjectStoreError.self) {
            try store.receive(good) { temp in _ = try bucket.download("objects/" + good, to: temp) }
        }
        #expect(!store.contains(good) && store.allObjects().isEmpty)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: folder + "/objects/tmp"))?.isEmpty ?? true, "no temp file is left")
    }

    @Test("a wrong secret is refused by the server's signature check, with S3's code and without the secret")
    func wrongSecret() throws {
        guard let server = try server() else { return }
        defer { server.stop() }
        let bucket = try bucket(server, secret: "not-the-secret-key-at-all")
        do {
            try bucket.put("x", bytes: [1, 2, 3])
            Issue.record("a request signed with the wrong secret was accepted")
        } catch {
            #expect(error.description.contains("SignatureDoesNotMatch") && error.description.contains("AWS_SECRET_ACCESS_KEY"), "\(error)")
            #expect(!error.description.contains("not-the-secret-key-at-all"))
        }
    }

    @Test("credentials come from the environment first, then the profile files; the region from the profile")
    func credentials() throws {
        let folder = try GitFixture.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            [default]
            aws_access_key_id = DEFAULTKEY
            aws_secret_access_key = defaultsecret
            # a comment
            [ci]
            aws_access_key_id=CIKEY
            aws_secret_access_key=cisecret
            aws_session_token = token
            """.write(toFile: folder + "/credentials", atomically: true, encoding: .utf8)
        try "[profile ci]\nregion = eu-west-3\n".write(toFile: folder + "/config", atomically: true, encoding: .utf8)
        var environment = ["AWS_SHARED_CREDENTIALS_FILE": folder + "/credentials", "AWS_CONFIG_FILE": folder + "/config"]
        let lookup = { (name: String) in environment[name] }
        #expect(S3Credentials.fromEnvironment(profile: nil, environment: lookup)?.accessKey == "DEFAULTKEY")
        let ci = try #require(S3Credentials.fromEnvironment(profile: "ci", environment: lookup))
        #expect(ci.accessKey == "CIKEY" && ci.secretKey == "cisecret" && ci.sessionToken == "token")
        #expect(S3Credentials.profileRegion(profile: "ci", environment: lookup) == "eu-west-3")
        environment["AWS_PROFILE"] = "ci"
        #expect(S3Credentials.fromEnvironment(profile: "default", environment: { environment[$0] })?.accessKey == "CIKEY")
        environment["AWS_ACCESS_KEY_ID"] = "ENVKEY"
        environment["AWS_SECRET_ACCESS_KEY"] = "envsecret"
        #expect(S3Credentials.fromEnvironment(profile: "ci", environment: { environment[$0] })?.accessKey == "ENVKEY")
        #expect(S3Credentials.fromEnvironment(profile: "nobody", environment: { ["HOME": folder][$0] }) == nil)
        let none = { (_: String) -> String? in nil }
        #expect(throws: S3Error.self) { try S3Bucket(location: S3Location("s3://bucket")!, settings: S3Settings(), environment: none) }
    }

    @Test("addresses: AWS's virtual-hosted URL by default, path style with an endpoint; canonical queries; locations")
    func addressing() throws {
        let keys = ["AWS_ACCESS_KEY_ID": "K", "AWS_SECRET_ACCESS_KEY": "S", "AWS_REGION": "eu-central-1"]
        let aws = try S3Bucket(location: #require(S3Location("s3://models/churn/")), settings: S3Settings(), environment: { keys[$0] })
        #expect(aws.baseURL == "https://models.s3.eu-central-1.amazonaws.com" && aws.location.key("x") == "churn/x")
        var settings = S3Settings()
        settings.endpoint = "http://127.0.0.1:9000/"
        let minio = try S3Bucket(location: #require(S3Location("s3://models")), settings: settings, environment: { keys[$0] })
        #expect(minio.baseURL == "http://127.0.0.1:9000/models" && minio.location.key("x") == "x")
        settings.pathStyle = false
        #expect(try S3Bucket(location: #require(S3Location("s3://models")), settings: settings, environment: { keys[$0] }).baseURL == "http://models.127.0.0.1:9000")
        #expect(S3Bucket.canonicalQuery([("prefix", "a b/c~"), ("list-type", "2"), ("uploads", "")]) == "?list-type=2&prefix=a%20b%2Fc~&uploads=")
        #expect(S3Bucket.encoded("dir/é.json", keepingSlashes: true) == "dir/%C3%A9.json")
        for bad in ["s3://", "s3://ab", "s3://Upper", "s3://bucket/../x", "s3://bucket/a//b", "s3://-bucket", "s3://bucket/a\\b", "https://bucket"] {
            #expect(S3Location(bad) == nil, "\(bad)")
        }
        #expect(S3Location("s3://my.bucket-1/a/b/")?.prefix == "a/b")
    }
}
