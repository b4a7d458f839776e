import MLGateConfig
import MLGateCore
import Testing

/// `remote.objects` as a directory or an `s3://` bucket, and `remote.s3`.
@Suite("mlgate.yaml: the remote object store")
struct RemoteConfigTests {
    @Test("an s3:// remote with its settings; unset settings stay unset for the AWS environment to fill")
    func bucket() throws {
        let config = try ConfigLoader.parse("""
            remote:
              objects: s3://ml-artifacts/churn
              s3: {endpoint: "http://127.0.0.1:9000", region: eu-west-1, path_style: true, profile: ci, part_size_mb: 8, multipart_threshold_mb: 64}
            """, file: "mlgate.yaml")
        #expect(config.remote.objects == "s3://ml-artifacts/churn")
        let s3 = config.remote.s3
        #expect(s3.endpoint == "http://127.0.0.1:9000" && s3.region == "eu-west-1" && s3.pathStyle == true && s3.profile == "ci")
        #expect(s3.partSizeMB == 8 && s3.multipartThresholdMB == 64)
        let defaults = try ConfigLoader.parse("remote: {objects: s3://ml-artifacts}\n", file: "mlgate.yaml").remote.s3
        #expect(defaults == S3Settings() && defaults.endpoint == nil && defaults.partSizeMB == 16 && defaults.multipartThresholdMB == 100)
    }

    @Test("refusals name the line and the field", arguments: [
        ("remote:\n  objects: gs://bucket\n", "mlgate.yaml:2:12", "or s3://bucket/prefix"),
        ("remote:\n  objects: s3://Bad_Bucket\n", "mlgate.yaml:2:12", "not a usable s3:// URL"),
        ("remote:\n  objects: s3://bucket/../up\n", "mlgate.yaml:2:12", "not a usable s3:// URL"),
        ("remote:\n  s3: {endpoint: ftp://host}\n", "mlgate.yaml:2:18", "'remote.s3.endpoint' must be"),
        ("remote:\n  s3: {endpoint: \"http://user:pw@host\"}\n", "mlgate.yaml:2:18", "no path or credentials"),
        ("remote:\n  s3: {region: \"us east\"}\n", "mlgate.yaml:2:16", "'remote.s3.region'"),
        ("remote:\n  s3: {part_size_mb: 4}\n", "mlgate.yaml:2:22", "from 5 to 5120"),
        ("remote:\n  s3: {secret_key: abc}\n", "mlgate.yaml:2:8", "unknown key 'secret_key' in 'remote.s3'"),
        ("remote:\n  s3: {enpoint: x}\n", "mlgate.yaml:2:8", "did you mean 'endpoint'"),
    ])
    func refusals(text: String, location: String, message: String) {
        expectRefused(text, at: location, saying: message)
    }
}
