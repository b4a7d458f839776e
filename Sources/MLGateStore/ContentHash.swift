import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of files and bytes through swift-crypto (BoringSSL's SHA-NI path on x86-64), as lowercase hex.
public enum ContentHash {
    /// Bytes read at a time.
    static let chunk = 1 << 20

    /// The hash of `bytes`.
    public static func of(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { of($0) }
    }

    /// The hash of the bytes in `buffer`. Not through `SHA256.hash(data:)`: its `DataProtocol` generic costs a
    /// conformance scan on first use, on every command's start-up.
    public static func of(_ buffer: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        hasher.update(bufferPointer: buffer)
        return hex(hasher.finalize())
    }

    /// The hash and size of the file at `path`, read in 1 MiB chunks.
    public static func file(_ path: String) throws(ObjectStoreError) -> (hash: String, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ObjectStoreError.io("read", path, errno) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_size >= chunk, let mapped = mmap(nil, Int(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0),
           mapped != MAP_FAILED {
            // Hashing the page cache in place saves the copy read(2) makes (about a tenth of the time).
            defer { munmap(mapped, Int(info.st_size)) }
            madvise(mapped, Int(info.st_size), MADV_SEQUENTIAL)
            var hasher = SHA256()
            var offset = 0
            while offset < Int(info.st_size) {
                let count = min(chunk * 4, Int(info.st_size) - offset)
                hasher.update(bufferPointer: UnsafeRawBufferPointer(start: mapped + offset, count: count))
                offset += count
            }
            return (hex(hasher.finalize()), Int64(info.st_size))
        }
        return try stream(fd, path: path, each: nil)
    }

    /// Hashes everything readable from `fd`, handing each chunk to `each` as it goes.
    static func stream(_ fd: Int32, path: String, each: ((UnsafeRawBufferPointer) throws(ObjectStoreError) -> Void)?)
        throws(ObjectStoreError) -> (hash: String, size: Int64) {
        var hasher = SHA256()
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, chunk)
            if count < 0 {
                if errno == EINTR { continue }
                throw ObjectStoreError.io("read", path, errno)
            }
            if count == 0 { break }
            let filled = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: filled)
            try each?(filled)
            size += Int64(count)
        }
        return (hex(hasher.finalize()), size)
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        digest.withUnsafeBytes { bytes in
            for byte in bytes {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

}
