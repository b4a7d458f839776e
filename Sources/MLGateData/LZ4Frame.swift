/// LZ4 frame decoding (the format of `lz4.frame` and of Arrow's LZ4_FRAME buffer codec), in pure Swift:
/// frame header, linked or independent blocks, uncompressed blocks, optional checksums (skipped, not
/// verified: Arrow files carry their own structure checks, and a corrupt stream fails the bounds checks).
enum LZ4Frame {
    /// Why a frame could not be decoded; the reader turns it into a `DataError` naming the column.
    struct Failure: Error {
        var reason: String
    }

    /// Decodes one or more concatenated frames in `input` into exactly `expected` bytes at `output`.
    static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>, expected: Int) throws(Failure) {
        var p = 0
        var written = 0
        let count = input.count
        func byte(_ at: Int) throws(Failure) -> UInt8 {
            guard at < count else { throw Failure(reason: "the LZ4 frame is cut short") }
            return input[at]
        }
        func word(_ at: Int) throws(Failure) -> UInt32 {
            guard at + 4 <= count else { throw Failure(reason: "the LZ4 frame is cut short") }
            return input.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
        }
        while p < count {
            guard try word(p) == 0x184D_2204 else { throw Failure(reason: "not an LZ4 frame (bad magic number)") }
            let flags = try byte(p + 4)
            guard flags >> 6 == 1 else { throw Failure(reason: "unsupported LZ4 frame version") }
            let blockChecksum = flags & 0x10 != 0, contentSize = flags & 0x08 != 0
            let contentChecksum = flags & 0x04 != 0, dictionary = flags & 0x01 != 0
            guard !dictionary else { throw Failure(reason: "LZ4 frames with a dictionary are not supported") }
            p += 6 + (contentSize ? 8 : 0) + 1  // magic, FLG, BD, content size, header checksum
            while true {
                let size = try word(p)
                p += 4
                if size == 0 { break }
                let length = Int(size & 0x7FFF_FFFF)
                guard p + length <= count else { throw Failure(reason: "an LZ4 block runs past the end of the buffer") }
                if size & 0x8000_0000 != 0 {
                    guard written + length <= expected, let base = input.baseAddress else {
                        throw Failure(reason: "the LZ4 data is longer than its stated size")
                    }
                    (output + written).update(from: base.assumingMemoryBound(to: UInt8.self) + p, count: length)
                    written += length
                } else {
                    written = try block(UnsafeRawBufferPointer(rebasing: input[p..<(p + length)]), output, at: written, limit: expected)
                }
                p += length + (blockChecksum ? 4 : 0)
            }
            p += contentChecksum ? 4 : 0
        }
        guard written == expected else { throw Failure(reason: "the LZ4 data holds \(written) bytes where \(expected) were expected") }
    }

    /// Decodes one LZ4 block appended at `start` (matches may reach back into earlier blocks); returns the new end.
    private static func block(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutablePointer<UInt8>, at start: Int, limit: Int) throws(Failure) -> Int {
        var p = 0, o = start
        let count = input.count
        while p < count {
            let token = input[p]
            p += 1
            var literals = Int(token >> 4)
            if literals == 15 {
                while true {
                    guard p < count else { throw Failure(reason: "an LZ4 block is cut short") }
                    let extra = input[p]
                    p += 1
                    literals += Int(extra)
                    if extra != 255 { break }
                }
            }
            guard p + literals <= count, o + literals <= limit, let base = input.baseAddress else {
                throw Failure(reason: "an LZ4 literal run is out of bounds")
            }
            UnsafeMutableRawPointer(output + o).copyMemory(from: base + p, byteCount: literals)
            p += literals
            o += literals
            if p == count { break }  // the last sequence has literals only
            guard p + 2 <= count else { throw Failure(reason: "an LZ4 block is cut short") }
            let offset = Int(input[p]) | Int(input[p + 1]) << 8
            p += 2
            var match = Int(token & 15)
            if match == 15 {
                while true {
                    guard p < count else { throw Failure(reason: "an LZ4 block is cut short") }
                    let extra = input[p]
                    p += 1
                    match += Int(extra)
                    if extra != 255 { break }
                }
            }
            match += 4
            guard offset > 0, offset <= o, o + match <= limit else { throw Failure(reason: "an LZ4 match is out of bounds") }
            if offset >= match {
                (output + o).update(from: output + (o - offset), count: match)  // no overlap
                o += match
            } else {
                var from = o - offset
                for _ in 0..<match {
                    output[o] = output[from]
                    o += 1
                    from += 1
                }
            }
        }
        return o
    }
}
